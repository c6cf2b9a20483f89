// The main of every Catch2 test binary (wire_test, net_test, rpc_test):
// Catch's own session, plus `--version` like every program in bin/ (Catch
// 2.13 has no such option: it prints its version only in --help).

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <iostream>
#include <string>

#include "mas/version.hpp"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::string prog = argv[0];
    prog = prog.substr(prog.find_last_of('/') + 1);
    std::cout << prog << " (libmas) " MAS_VERSION_STRING " (Catch v"
              << Catch::libraryVersion() << ")\n";
    return 0;
  }
  return Catch::Session().run(argc, argv);
}
