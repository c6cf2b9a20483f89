#!/usr/bin/env bash
# The installed package as a new user meets it, from two prefixes (one of them
# moved after installing): find_package(libmas) with components, pkg-config,
# and consumers that link every library and make an RPC call.
#
# usage: run.sh BUILD_DIR SCRATCH_DIR [CXX]
#   BUILD_DIR    a built libmas build tree (cmake --install reads it)
#   SCRATCH_DIR  emptied, then holds the prefixes and consumer builds
#   CXX          compiler for the pkg-config consumers (default: c++)
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$2
cxx=${3:-c++}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
# The version CMake was configured with, from the generated header.
version=$(sed -n 's/^#define MAS_VERSION_STRING "\(.*\)"$/\1/p' \
  "$build/generated/mas/version.hpp")
[ -n "$version" ] || { echo "FAIL: no MAS_VERSION_STRING in $build/generated"; exit 1; }

rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# Runs a consumer with a bound: it must end by itself (exit 0) and print
# "$2" (leaving main must stop the actor system, no explicit close needed).
run_bounded() {
  local out rc=0
  out=$(timeout -k 5 60 "$1" 2>&1) || rc=$?
  printf '%s\n' "$out" | sed 's/^/    /'
  [ "$rc" != 124 ] || fail "$1 did not exit within 60 s"
  [ "$rc" = 0 ] || fail "$1 exited with $rc"
  grep -q "$2" <<<"$out" || fail "$1 did not print '$2'"
}

# cmake_consumer NAME PREFIX [CMAKE_ARGS...]: configures tests/package against
# PREFIX into $scratch/NAME; output in $scratch/NAME.log.
cmake_consumer() {
  local name=$1 prefix=$2
  shift 2
  cmake -S "$here" -B "$scratch/$name" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
    "$@" >"$scratch/$name.log" 2>&1
}

# -- two prefixes, the second one moved after installing ------------------------
cmake --install "$build" --prefix "$scratch/a" >/dev/null
cmake --install "$build" --prefix "$scratch/b" >/dev/null
mv "$scratch/b" "$scratch/b-moved"
for f in lib/cmake/libmas/libmas-config.cmake \
         lib/cmake/libmas/libmas-config-version.cmake \
         lib/cmake/libmas/FindCAF.cmake \
         lib/cmake/libmas/libmas-wire-targets.cmake \
         lib/cmake/libmas/libmas-net-targets.cmake \
         lib/cmake/libmas/libmas-core-targets.cmake \
         lib/cmake/libmas/libmas-aiomas-targets.cmake \
         lib/cmake/libmas/libmas-mango-targets.cmake \
         lib/pkgconfig/libmas.pc lib/pkgconfig/libmas-wire.pc \
         lib/pkgconfig/libmas-net.pc lib/pkgconfig/libmas-core.pc \
         lib/pkgconfig/libmas-aiomas.pc lib/pkgconfig/libmas-mango.pc \
         include/mas/aiomas/container.hpp include/mas/mango/tcp_container.hpp \
         include/mas/version.hpp include/mas/all.hpp; do
  [ -f "$scratch/a/$f" ] || fail "not installed: $f"
done
ok "installed package files, mas/version.hpp and mas/all.hpp"
# Relocatable: no installed package file names the build tree, the sources or
# the prefix it was installed to.
if grep -rlF -e "$build" -e "$src" -e "$scratch" "$scratch/a/lib/cmake" \
     "$scratch/a/lib/pkgconfig"; then
  fail "package files above hold absolute paths of the build, sources or prefix"
fi
ok "package files hold no absolute path of the build, sources or prefix"

# -- find_package: every component, from the moved prefix ---------------------------
cmake_consumer full "$scratch/b-moved" \
  || { cat "$scratch/full.log"; fail "find_package(libmas 0.1 COMPONENTS wire net core aiomas mango)"; }
cmake --build "$scratch/full" >"$scratch/full-build.log" 2>&1 \
  || { cat "$scratch/full-build.log"; fail "building the find_package consumer"; }
grep -q "libmas $version from $scratch/b-moved/" "$scratch/full.log" \
  || fail "find_package did not report libmas $version from the moved prefix"
run_bounded "$scratch/full/consumer" "consumer ok"
run_bounded "$scratch/full/aiomas_consumer" "aiomas consumer ok"
run_bounded "$scratch/full/mango_consumer" "mango consumer ok"
ok "find_package(libmas 0.1 REQUIRED COMPONENTS wire net core aiomas mango): every library linked; RPC call, agent call and mango message made"

# -- find_package without components, from the first prefix -------------------------
cmake_consumer default "$scratch/a" -DMAS_COMPONENTS= \
  || { cat "$scratch/default.log"; fail "find_package(libmas 0.1 REQUIRED)"; }
cmake --build "$scratch/default" >"$scratch/default-build.log" 2>&1 \
  || { cat "$scratch/default-build.log"; fail "building the default consumer"; }
run_bounded "$scratch/default/consumer" "consumer ok"
run_bounded "$scratch/default/aiomas_consumer" "aiomas consumer ok"
run_bounded "$scratch/default/mango_consumer" "mango consumer ok"
ok "find_package(libmas 0.1 REQUIRED): every library linked; RPC call, agent call and mango message made"

# -- find_package: one component, from the first prefix ------------------------------
cmake_consumer wire "$scratch/a" -DMAS_COMPONENTS=wire \
  || { cat "$scratch/wire.log"; fail "find_package(libmas 0.1 COMPONENTS wire)"; }
cmake --build "$scratch/wire" >"$scratch/wire-build.log" 2>&1 \
  || { cat "$scratch/wire-build.log"; fail "building the wire-only consumer"; }
run_bounded "$scratch/wire/consumer" "wire consumer ok"
ok "find_package(libmas 0.1 REQUIRED COMPONENTS wire): only libmas::wire loaded"

# -- find_package must fail, and say why ---------------------------------------------
# expect_fail NAME REASON PREFIX [CMAKE_ARGS...]
expect_fail() {
  local name=$1 reason=$2 prefix=$3
  shift 3
  if cmake_consumer "$name" "$prefix" "$@"; then
    cat "$scratch/$name.log"
    fail "$name: configuring succeeded"
  fi
  # CMake wraps long messages: compare with the line breaks folded.
  tr -s ' \n' ' ' <"$scratch/$name.log" | grep -qF "$reason" \
    || { cat "$scratch/$name.log"; fail "$name: no reason '$reason'"; }
  ok "$name fails with: $reason"
}
expect_fail unknown-component "unknown libmas component 'nope' (libmas has: wire net core aiomas mango)" \
  "$scratch/a" "-DMAS_COMPONENTS=core;nope"
cp -a "$scratch/a" "$scratch/partial"
rm "$scratch/partial/lib/cmake/libmas/libmas-net-targets.cmake"
expect_fail missing-component "libmas component 'net' is not installed" \
  "$scratch/partial" -DMAS_COMPONENTS=core
# CAF missing: hide every include directory from find_path (OpenSSL's is
# given, so CAF is the first dependency that goes missing).
expect_fail missing-caf "Could NOT find CAF (missing: CAF_INCLUDE_DIR)" \
  "$scratch/a" -DCMAKE_FIND_ROOT_PATH=/nonexistent \
  -DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY -DOPENSSL_INCLUDE_DIR=/usr/include
grep -qF "libmas::core needs CAF 0.17" "$scratch/missing-caf.log" \
  || fail "missing-caf: FindCAF's reason is not shown"
expect_fail too-new "libmas-config.cmake, version: $version" \
  "$scratch/a" -DMAS_WANT_VERSION=1.0

# -- pkg-config, from the moved prefix -----------------------------------------------
export PKG_CONFIG_PATH="$scratch/b-moved/lib/pkgconfig"
[ "$(pkg-config --modversion libmas)" = "$version" ] \
  || fail "pkg-config --modversion libmas is not $version"
prefix=$(pkg-config --variable=prefix libmas-core)
[ "$(cd "$prefix" && pwd)" = "$scratch/b-moved" ] \
  || fail "pkg-config's prefix $prefix is not the moved prefix"
ok "pkg-config: libmas $version, prefix follows the moved files"
mkdir -p "$scratch/pc"
# shellcheck disable=SC2046 # the flags are meant to split
"$cxx" -std=c++17 -o "$scratch/pc/consumer" "$here/consumer.cpp" \
  -DMAS_EXPECTED_VERSION="\"$version\"" $(pkg-config --cflags --libs libmas) \
  || fail "compiling with pkg-config --cflags --libs libmas"
run_bounded "$scratch/pc/consumer" "consumer ok"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -o "$scratch/pc/aiomas_consumer" "$here/aiomas_consumer.cpp" \
  $(pkg-config --cflags --libs libmas) \
  || fail "compiling aiomas_consumer with pkg-config --cflags --libs libmas"
run_bounded "$scratch/pc/aiomas_consumer" "aiomas consumer ok"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -o "$scratch/pc/mango_consumer" "$here/mango_consumer.cpp" \
  $(pkg-config --cflags --libs libmas) \
  || fail "compiling mango_consumer with pkg-config --cflags --libs libmas"
run_bounded "$scratch/pc/mango_consumer" "mango consumer ok"
ok "pkg-config libmas: every library linked; RPC call, agent call and mango message made"
# shellcheck disable=SC2046
"$cxx" -std=c++17 -o "$scratch/pc/wire_consumer" "$here/wire_consumer.cpp" \
  $(pkg-config --cflags --libs libmas-wire) \
  || fail "compiling with pkg-config --cflags --libs libmas-wire"
run_bounded "$scratch/pc/wire_consumer" "wire consumer ok"
ok "pkg-config libmas-wire"

echo "package: every check passed"
