// tls_containers: the aiomas docs' "TLS configuration for agent containers"
// in one process. Two containers get the same SSLCerts (CA, certificate,
// key): each one's server requires a client certificate signed by the CA,
// and each connection it opens checks the peer's certificate and host name.
// An agent in one calls an agent in the other over TLS.
//
// Output:
//
//   Callee('tcp://127.0.0.1:PORT/0') in a TLS container
//   spam(3) over TLS: spamspamspam
//
// With --certs DIR from `tests/tls/make_certs.sh DIR` it also shows that a
// container without TLS and one certified by another CA are refused:
//
//   container without TLS: rejected (...)
//   container certified by another CA: rejected (...)

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <caf/scoped_actor.hpp>

#include "demo_agents.hpp"
#include "mas/aiomas/container.hpp"
#include "mas/errc.hpp"
#include "mas/version.hpp"

namespace {

using namespace std::chrono_literals;

constexpr const char* usage = R"(usage: tls_containers [OPTIONS]

Runs two aiomas agent containers with TLS in one process (aiomas
Container.create(addr, ssl=SSLCerts(cafile, certfile, keyfile))); an agent in
one calls spam(3) on an agent in the other.

options:
  --ca FILE          CA certificate both containers trust (SSLCerts cafile)
  --cert FILE        the certificate they present, as server and as client
                     (certfile; good for server and client authentication,
                     for the host 127.0.0.1)
  --key FILE         its private key (keyfile)
  --certs DIR        DIR/ca.pem, DIR/device.pem, DIR/device.key (the files of
                     tests/tls/make_certs.sh); if DIR/other-ca.pem exists, also
                     show that containers without TLS or certified by another
                     CA are rejected
  -h, --help         show this text
  --version          print "tls_containers (libmas) VERSION"
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "tls_containers: " << what << "\n(see --help)\n";
  std::exit(2);
}

bool report(const caf::error& err) {
  std::cerr << "tls_containers: " << mas::render(err) << "\n";
  return false;
}

bool exists(const std::string& path) {
  return std::ifstream{path}.good();
}

/// A container on a free port of 127.0.0.1, with TLS if `certs` is set.
std::unique_ptr<mas::aiomas::container>
make_container(std::optional<mas::net::ssl_certs> certs) {
  mas::aiomas::container_options opts;
  opts.ssl = std::move(certs);
  auto c = mas::aiomas::container::create("127.0.0.1:0", std::move(opts));
  if (!c) {
    report(c.error());
    return nullptr;
  }
  return std::move(*c);
}

/// Calls `spam(3)` on the agent at `url` from container `from`: the result,
/// or the error.
caf::expected<std::string> spam(mas::aiomas::container& from,
                                const std::string& url) {
  auto callee = from.connect(url, 10s);
  if (!callee)
    return std::move(callee.error());
  caf::scoped_actor self{from.system()};
  caf::expected<std::string> result{caf::error{}};
  callee->with_timeout(30s)
    .call<std::string>(self.ptr(), "spam", 3)
    .receive([&](std::string x) { result = std::move(x); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// Shows that a container with `certs` (none: no TLS) cannot call the
/// agent at `url`.
bool refused(const char* what, std::optional<mas::net::ssl_certs> certs,
             const std::string& url) {
  auto intruder = make_container(std::move(certs));
  if (!intruder)
    return false;
  auto res = spam(*intruder, url);
  if (res) {
    std::cerr << "tls_containers: " << what << " was accepted\n";
    return false;
  }
  std::cout << what << ": rejected (" << mas::error_text(res.error()) << ")"
            << std::endl;
  return true;
}

} // namespace

int main(int argc, char** argv) {
  mas::net::ssl_certs certs;
  std::string certs_dir;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc)
        usage_error("missing value for " + arg);
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "tls_containers (libmas) " MAS_VERSION_STRING "\n";
      return 0;
    } else if (arg == "--ca") {
      certs.cafile = next();
    } else if (arg == "--cert") {
      certs.certfile = next();
    } else if (arg == "--key") {
      certs.keyfile = next();
    } else if (arg == "--certs") {
      certs_dir = next();
      certs = {certs_dir + "/ca.pem", certs_dir + "/device.pem",
               certs_dir + "/device.key"};
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (certs.cafile.empty() || certs.certfile.empty() || certs.keyfile.empty())
    usage_error("need --ca, --cert and --key (or --certs DIR)");
  // Both containers use one SSLCerts: a certificate that serves and connects.
  auto c1 = make_container(certs);
  auto c2 = make_container(certs);
  if (!c1 || !c2)
    return 1;
  auto callee = c1->spawn<mas::demo::callee>();
  auto url = c1->address_of(mas::aid_of(callee));
  std::cout << "Callee('" << url << "') in a TLS container" << std::endl;
  auto res = spam(*c2, url);
  if (!res)
    return report(res.error()), 1;
  std::cout << "spam(3) over TLS: " << *res << std::endl;
  bool ok = true;
  if (!certs_dir.empty() && exists(certs_dir + "/other-ca.pem")) {
    ok = refused("container without TLS", std::nullopt, url)
         && refused("container certified by another CA",
                    mas::net::ssl_certs{certs_dir + "/other-ca.pem",
                                        certs_dir + "/other-client.pem",
                                        certs_dir + "/other-client.key"},
                    url);
  }
  c2->shutdown();
  c1->shutdown();
  return ok ? 0 : 1;
}
