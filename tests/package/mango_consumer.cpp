// A program a new user would write with the installed libmas::mango: two
// mango TCP containers in one process on 127.0.0.1 (port 0), an echo agent
// in one, a MangoMessage from the other and its echo. Leaving main must stop
// everything.

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>

#include "mas/errc.hpp"
#include "mas/mango/agent.hpp"
#include "mas/mango/tcp_container.hpp"

namespace mango = mas::mango;

class echo : public mango::agent {
public:
  using agent::agent;

  void handle_message(const mas::wire::value& content,
                      const mas::wire::dict& meta) override {
    send_message(content, mango::sender_addr(meta));
  }
};

struct result {
  std::mutex mtx;
  std::condition_variable cv;
  std::optional<std::string> text;
};

class asker : public mango::agent {
public:
  asker(caf::actor_config& cfg, mas::agent_init init, result* out)
    : agent(cfg, std::move(init)), out_(out) {
  }

  void handle_message(const mas::wire::value& content,
                      const mas::wire::dict&) override {
    std::lock_guard guard{out_->mtx};
    out_->text = content.as_string();
    out_->cv.notify_all();
  }

private:
  result* out_;
};

int main() {
  auto c1 = mango::create_tcp_container("127.0.0.1:0");
  auto c2 = mango::create_tcp_container("127.0.0.1:0");
  if (!c1 || !c2) {
    std::cerr << "mango consumer: cannot create containers\n";
    return 1;
  }
  result out;
  (*c1)->register_agent<echo>("echo");
  (*c2)->register_agent<asker>("asker", &out);
  (*c2)->send_message("ping", (*c1)->agent_addr("echo"), "asker");
  std::unique_lock guard{out.mtx};
  if (!out.cv.wait_for(guard, std::chrono::seconds{30},
                       [&] { return out.text.has_value(); })
      || *out.text != "ping") {
    std::cerr << "mango consumer: no echo\n";
    return 1;
  }
  std::cout << "mango consumer ok\n";
  return 0;
}
