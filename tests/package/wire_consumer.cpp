// The wire component alone (find_package(libmas COMPONENTS wire) or
// pkg-config libmas-wire): no CAF, no sockets.

#include <iostream>
#include <string>

#include "mas/version.hpp"
#include "mas/wire/codec.hpp"
#include "mas/wire/convert.hpp"

struct reading {
  std::string sensor;
  double celsius;
};

MAS_DESCRIBE(reading, sensor, celsius)

int main() {
  auto codec = mas::wire::make_codec(mas::wire::codec_kind::json);
  codec->types().add("reading");
  auto bytes
    = codec->encode(mas::wire::to_value(reading{"t1", 21.5}, codec->types()));
  auto back
    = mas::wire::from_value<reading>(codec->decode(bytes), codec->types());
  if (back.sensor != "t1" || back.celsius != 21.5) {
    std::cerr << "wire consumer: round trip changed the value\n";
    return 1;
  }
  std::cout << "wire consumer ok (libmas " << MAS_VERSION_STRING << ")\n";
  return 0;
}
