// A program a new user would write with the installed libmas::aiomas: two
// aiomas containers in one process on 127.0.0.1 (port 0), an agent in one,
// called by address from the other. Leaving main must stop everything.

#include <cstdint>
#include <iostream>
#include <string>

#include <caf/scoped_actor.hpp>

#include "mas/aiomas/agent.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/errc.hpp"

class callee : public mas::aiomas::agent {
public:
  callee(caf::actor_config& cfg, mas::agent_init init)
    : agent(cfg, std::move(init)) {
    expose("spam",
           [](std::int64_t times) {
             std::string result;
             for (std::int64_t i = 0; i < times; ++i)
               result += "spam";
             return result;
           },
           {"times"});
  }

  const char* name() const override {
    return "Callee";
  }
};

int main() {
  auto c1 = mas::aiomas::container::create("127.0.0.1:0");
  auto c2 = mas::aiomas::container::create("127.0.0.1:0");
  if (!c1 || !c2) {
    std::cerr << "aiomas consumer: cannot create containers\n";
    return 1;
  }
  (*c1)->spawn<callee>();
  auto proxy = (*c2)->connect((*c1)->address_of("0"));
  if (!proxy) {
    std::cerr << "aiomas consumer: " << mas::render(proxy.error()) << "\n";
    return 1;
  }
  std::string result;
  {
    caf::scoped_actor self{(*c2)->system()};
    proxy->call<std::string>(self.ptr(), "spam", 3)
      .receive([&](std::string& x) { result = x; },
               [&](caf::error& err) { result = mas::render(err); });
  }
  if (result != "spamspamspam") {
    std::cerr << "aiomas consumer: spam(3) gave " << result << "\n";
    return 1;
  }
  std::cout << "spam(3) = " << result << "\naiomas consumer ok\n";
  return 0;
}
