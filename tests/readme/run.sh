#!/usr/bin/env bash
# Every C++ snippet in README.md compiles against the installed package and
# runs. The snippets are read from README.md now (so the test follows the
# README): each ```cpp block must be a complete program; if the next fenced
# block is ```text, it is the program's expected stdout. Each program must end
# by itself within 60 s with status 0 (the RPC one closes nothing by hand:
# leaving main must stop the actor system).
#
# usage: run.sh README BUILD_DIR SCRATCH_DIR
set -euo pipefail
readme=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build=$(cd "$2" && pwd)
scratch=$3
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$scratch"
mkdir -p "$scratch/snippets"
scratch=$(cd "$scratch" && pwd)

# -- extract ------------------------------------------------------------------------
python3 - "$readme" "$scratch/snippets" <<'PY'
import re, sys
readme, out = sys.argv[1], sys.argv[2]
blocks = re.findall(r"^```(\w*)\n(.*?)^```$", open(readme).read(), re.S | re.M)
n = 0
for i, (lang, body) in enumerate(blocks):
    if lang != "cpp":
        continue
    n += 1
    if not re.search(r"^int main\(", body, re.M):
        sys.exit(f"FAIL: C++ snippet {n} of README.md is not a complete program "
                 f"(no 'int main('):\n{body}")
    open(f"{out}/snippet{n}.cpp", "w").write(body)
    if i + 1 < len(blocks) and blocks[i + 1][0] == "text":
        open(f"{out}/snippet{n}.expected", "w").write(blocks[i + 1][1])
    print(f"snippet{n}: {body.count(chr(10))} lines")
if n == 0:
    sys.exit("FAIL: no ```cpp block in README.md")
open(f"{out}/count", "w").write(str(n))
PY
count=$(cat "$scratch/snippets/count")

# -- build against the installed package -----------------------------------------------
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
{
  echo 'cmake_minimum_required(VERSION 3.16)'
  echo 'project(readme_snippets LANGUAGES CXX)'
  echo 'set(CMAKE_CXX_STANDARD 17)'
  echo 'find_package(libmas 0.1 REQUIRED)'
  for i in $(seq 1 "$count"); do
    echo "add_executable(snippet$i snippet$i.cpp)"
    echo "target_link_libraries(snippet$i PRIVATE libmas::aiomas)"
  done
} >"$scratch/snippets/CMakeLists.txt"
cmake -S "$scratch/snippets" -B "$scratch/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" >"$scratch/configure.log" 2>&1 \
  || { cat "$scratch/configure.log"; fail "configuring the snippets"; }
for i in $(seq 1 "$count"); do
  cmake --build "$scratch/build" --target "snippet$i" >"$scratch/build$i.log" 2>&1 \
    || { cat "$scratch/build$i.log"; fail "snippet $i of README.md does not compile"; }
  echo "ok: snippet $i compiles"
done

# -- run ------------------------------------------------------------------------------
for i in $(seq 1 "$count"); do
  rc=0
  timeout -k 5 60 "$scratch/build/snippet$i" >"$scratch/out$i" 2>"$scratch/err$i" || rc=$?
  sed 's/^/    /' "$scratch/out$i" "$scratch/err$i"
  [ "$rc" != 124 ] || fail "snippet $i did not exit within 60 s"
  [ "$rc" = 0 ] || fail "snippet $i exited with $rc"
  if [ -f "$scratch/snippets/snippet$i.expected" ]; then
    diff -u "$scratch/snippets/snippet$i.expected" "$scratch/out$i" \
      || fail "snippet $i printed something else than README.md shows"
    echo "ok: snippet $i runs, exits 0 and prints what README.md shows"
  else
    echo "ok: snippet $i runs and exits 0"
  fi
done
echo "readme: all $count C++ snippets compile and run"
