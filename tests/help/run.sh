#!/usr/bin/env bash
# Every program in the build's bin/ answers --help (usage on stdout, exit 0)
# and --version ("NAME (libmas) VERSION" on stdout, exit 0). The programs are
# found by listing bin/ now, so a new one is checked without being named here;
# EXPECTED (one file name a line, every executable target CMake configured)
# makes a configured program that is missing from bin/ fail instead of being
# skipped. The Catch2 test binaries answer --version through tests/wire/main.cpp
# (Catch 2.13 itself has no --version option).
#
# usage: run.sh BIN_DIR EXPECTED VERSION
set -uo pipefail
bin=$1
expected=$2
version=$3
failures=0
errfile=$(mktemp)
trap 'rm -f "$errfile"' EXIT
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

mapfile -t programs < <(find "$bin" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | sort)
[ "${#programs[@]}" -gt 0 ] || { echo "FAIL: no program in $bin"; exit 1; }
while read -r name; do
  [ -n "$name" ] || continue
  [ -x "$bin/$name" ] || fail "$name is an executable target but not in $bin (not built?)"
done <"$expected"
for name in "${programs[@]}"; do
  grep -qx "$name" "$expected" || echo "note: $name is in $bin but no current target (stale?); checked too"
done

# check NAME OPTION: runs bin/NAME OPTION with a bound and no stdin.
check() {
  local name=$1 option=$2 out err rc=0
  out=$(timeout -k 5 30 "$bin/$name" "$option" </dev/null 2>"$errfile") || rc=$?
  err=$(cat "$errfile")
  if [ "$rc" = 124 ]; then
    fail "$name $option did not exit within 30 s"
  elif [ "$rc" != 0 ]; then
    fail "$name $option exited with $rc: $(head -3 <<<"$err")"
  elif [ -z "$out" ]; then
    fail "$name $option printed nothing on stdout"
  elif [ "$option" = --help ] && ! grep -qi 'usage' <<<"$out"; then
    fail "$name --help printed no usage: $(head -1 <<<"$out")"
  elif [ "$option" = --version ] \
       && ! grep -q "^$name (libmas) $version\\( \\|$\\)" <<<"$(head -1 <<<"$out")"; then
    fail "$name --version printed '$(head -1 <<<"$out")', not '$name (libmas) $version'"
  else
    echo "ok: $name $option: $(grep -m1 . <<<"$out")"
  fi
}
for name in "${programs[@]}"; do
  check "$name" --help
  check "$name" --version
done
if [ "$failures" -gt 0 ]; then
  echo "$failures failure(s) among ${#programs[@]} programs"
  exit 1
fi
echo "help: all ${#programs[@]} programs in $bin answer --help and --version"
