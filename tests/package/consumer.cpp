// A program a new user would write against the installed libmas: it links
// libmas::wire, libmas::net and libmas::core and makes a real RPC call, C++
// server and client in one process on 127.0.0.1 (port 0). It closes nothing
// by hand: leaving main must end the actor system (run.sh bounds it).

#include <cstdint>
#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "mas/all.hpp"
#include "mas/net/endpoint.hpp"
#include "mas/version.hpp"

struct reading {
  std::string sensor;
  double celsius;
};

MAS_DESCRIBE(reading, sensor, celsius)

namespace {

int fail(const std::string& what) {
  std::cerr << "consumer: " << what << "\n";
  return 1;
}

} // namespace

int main() {
  // -- version: the header matches the package CMake found --------------------
  if (std::string{MAS_VERSION_STRING} != MAS_EXPECTED_VERSION)
    return fail(std::string{"MAS_VERSION_STRING is "} + MAS_VERSION_STRING);
  // -- wire: a described struct through the MsgPackBlosc codec ----------------
  auto codec = mas::wire::make_codec(mas::wire::codec_kind::msgpack_blosc);
  codec->types().add("reading");
  auto bytes
    = codec->encode(mas::wire::to_value(reading{"t1", 21.5}, codec->types()));
  auto back
    = mas::wire::from_value<reading>(codec->decode(bytes), codec->types());
  if (back.sensor != "t1" || back.celsius != 21.5)
    return fail("wire round trip changed the value");
  // -- net: endpoints ---------------------------------------------------------
  auto parsed = mas::net::endpoint::parse("127.0.0.1:0");
  if (!parsed || !parsed->is_tcp())
    return fail("endpoint::parse(\"127.0.0.1:0\") failed");
  // -- core: an RPC server and a call -----------------------------------------
  caf::actor_system_config cfg;
  mas::configure(cfg);
  caf::actor_system sys{cfg};
  auto root = mas::rpc::service::make();
  root->expose("add", [](std::int64_t a, std::int64_t b) { return a + b; },
               {"a", "b"});
  auto srv = mas::rpc::start_server(sys, *parsed, root);
  if (!srv)
    return fail("start_server: " + mas::error_text(srv.error()));
  auto client = mas::rpc::open_connection(sys, srv->local_endpoint());
  if (!client)
    return fail("open_connection: " + mas::error_text(client.error()));
  std::int64_t sum = 0;
  std::string error;
  {
    caf::scoped_actor self{sys};
    client->remote.call(self.ptr(), "add", 3, 4)
      .receive([&](mas::wire::value& x) { sum = x.as_int64(); },
               [&](caf::error& err) { error = mas::error_text(err); });
  }
  if (!error.empty())
    return fail("add(3, 4) failed: " + error);
  if (sum != 7)
    return fail("add(3, 4) returned " + std::to_string(sum));
  std::cout << "rpc add(3, 4) = " << sum << "\n"
            << "consumer ok (libmas " << MAS_VERSION_STRING << ")\n";
  return 0;
}
