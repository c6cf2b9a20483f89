#!/bin/sh
# Runs the examples of examples/ and compares their output with the lines the
# aiomas docs print (ports, actor ids, socket paths and OpenSSL texts are
# normalized first).
#
# usage: run_examples.sh CASE BINDIR MAKE_CERTS
#   CASE        one of the cases below (ctest runs each as examples/CASE)
#   BINDIR      where the example binaries are
#   MAKE_CERTS  tests/tls/make_certs.sh (for tls_rpc and tls_containers)
set -eu

if [ $# -ne 3 ]; then
  echo "usage: $0 CASE BINDIR MAKE_CERTS" >&2
  exit 2
fi
case_name=$1
bin=$2
make_certs=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mas-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# check EXPECTED CMD [ARGS...]: runs CMD (at most 60 s), normalizes its
# standard output and compares it with EXPECTED; fails on any difference or
# a non-zero exit status. Agent addresses get PORT for their port; the
# external clock example's wall time passes as the docs' 0.5s if it is
# 0.5 to 0.9 (it is an example, not a timing test).
check() {
  expected=$1
  shift
  status=0
  timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  sed -E \
    -e "s/\('127\.0\.0\.1', [0-9]+\)/('127.0.0.1', PORT)/" \
    -e 's/channel #[0-9]+/channel #N/' \
    -e 's/rejected \(.*\)$/rejected (REASON)/' \
    -e "s|$tmp/|TMP/|g" \
    -e 's|tcp://127\.0\.0\.1:[0-9]+/|tcp://127.0.0.1:PORT/|g' \
    -e 's/^(Agent process finished after) 0\.[5-9]s$/\1 0.5s/' \
    "$tmp/out" >"$tmp/actual"
  printf '%s\n' "$expected" >"$tmp/expected"
  if [ "$status" -ne 0 ] || ! diff -u "$tmp/expected" "$tmp/actual"; then
    echo "FAILED (exit status $status): $*"
    echo "-- stderr:"
    cat "$tmp/err"
    exit 1
  fi
  echo "ok: $*"
}

# check_help CMD: `CMD --help` prints a usage text and exits with 0.
check_help() {
  status=0
  timeout 60 "$1" --help >"$tmp/out" 2>&1 || status=$?
  if [ "$status" -ne 0 ] || ! grep -q '^usage: ' "$tmp/out"; then
    echo "FAILED (exit status $status): $1 --help"
    cat "$tmp/out"
    exit 1
  fi
  echo "ok: $1 --help"
}

# make_device_cert DIR: DIR/device.pem and .key (CN=localhost, SAN
# localhost and 127.0.0.1, server and client authentication), signed by
# DIR/ca.pem.
make_device_cert() {
  dir=$1
  openssl=${OPENSSL:-openssl}
  cat >"$dir/device.cnf" <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = localhost
[ device_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF
  if ! {
    "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
      -out "$dir/device.key" &&
    "$openssl" req -config "$dir/device.cnf" -new -key "$dir/device.key" \
      -out "$dir/device.csr" &&
    "$openssl" x509 -req -in "$dir/device.csr" -CA "$dir/ca.pem" \
      -CAkey "$dir/ca.key" -set_serial 0x$("$openssl" rand -hex 8) \
      -days 30 -sha256 -extfile "$dir/device.cnf" -extensions device_ext \
      -out "$dir/device.pem"
  } >"$tmp/openssl.log" 2>&1; then
    echo "FAILED: creating device.pem"
    cat "$tmp/openssl.log"
    exit 1
  fi
}

echo_out="ohai
cya
ohai
Got an error: Origin: ('127.0.0.1', PORT)
Exception: ValueError: 42

['ohai', MyType(42)]
MyType('cya')"
add_out="What’s 3 + 4? 7"
hierarchy_out="What’s 3 + 4? 7
What’s 4 - 3? 1"
exception_out="Origin: ('127.0.0.1', PORT)
Traceback: ValueError: \"spam\" is not a number
"
connected_out="Client connected: <mas::rpc::client with channel #N>"
hello_out="Monty says:
Hello, World!
Hello, World!
Hello, World!"
caller_out="Caller('tcp://127.0.0.1:PORT/1') connecting to tcp://127.0.0.1:PORT/0
Caller('tcp://127.0.0.1:PORT/1') connected to CalleeProxy('tcp://127.0.0.1:PORT/0')
Caller('tcp://127.0.0.1:PORT/1') got spamspamspam"
multi_out="Caller('tcp://127.0.0.1:PORT/0') got spamspam from tcp://127.0.0.1:PORT/0
Caller('tcp://127.0.0.1:PORT/0') got hamham from tcp://127.0.0.1:PORT/0
Caller('tcp://127.0.0.1:PORT/0') got eggseggs from tcp://127.0.0.1:PORT/1
3 agents in 2 containers: 2 connections"
local_out="Caller('local://c/0') got spamspam from local://a/0
Caller('local://c/0') got hamham from local://b/0
Caller('local://c/0') got eggseggs from local://a/1
3 agents in 2 containers: 2 connections"
clocks_out="call_at(time() + 0.1): cancelling the call_in(0.3)
call_in(0.2)
call_at(utcnow() + 0.4 s)"
external_out="Gonna sleep for 1s ...
Agent process finished after 0.5s"
typed_out="Calculator('tcp://127.0.0.1:PORT/0')
add(3, 4) = 7
add(5, 6) = 11
calls() = 2"
subproc_out="container 1 ready at tcp://127.0.0.1:PORT/0
container 2 ready at tcp://127.0.0.1:PORT/0
spawned Callee(word='eggs') at tcp://127.0.0.1:PORT/1
spawned Caller() at tcp://127.0.0.1:PORT/1
Caller.run(callee) -> 'eggseggseggs'
spawned Sleeper() at tcp://127.0.0.1:PORT/2
set_time(1.0) on both containers
Sleeper.sleep(1.0) -> 1.0, utcnow() -> 2010-03-26T23:00:01+00:00
stop() -> None, None; exit statuses 0, 0"
tls_containers_out="Callee('tcp://127.0.0.1:PORT/0') in a TLS container
spam(3) over TLS: spamspamspam"
loss_out="Connection lost :(
Client connected :)
Client disconnected :("

case $case_name in
  help)
    for x in channel_echo rpc_examples tls_rpc agent_examples tls_containers \
      subproc_master; do
      check_help "$bin/$x"
    done
    ;;
  channel_echo)
    check "$echo_out" "$bin/channel_echo"
    ;;
  channel_echo_unix_msgpack)
    check "ohai
cya
ohai
Got an error: Origin: TMP/echo.sock
Exception: ValueError: 42

['ohai', MyType(42)]
MyType('cya')" "$bin/channel_echo" --unix "$tmp/echo.sock" --codec msgpack
    ;;
  channel_echo_client_first)
    check "ohai
cya" "$bin/channel_echo" --client-first --unix "$tmp/echo.sock"
    ;;
  rpc_basics)
    check "$add_out" "$bin/rpc_examples" basics
    ;;
  rpc_service_dict)
    check "$add_out" "$bin/rpc_examples" service-dict
    ;;
  rpc_hierarchy)
    check "$hierarchy_out" "$bin/rpc_examples" hierarchy
    ;;
  rpc_router_add)
    check "$hierarchy_out" "$bin/rpc_examples" router-add
    ;;
  rpc_remote_exception)
    check "$exception_out" "$bin/rpc_examples" remote-exception
    ;;
  rpc_connected_clients)
    check "$connected_out" "$bin/rpc_examples" connected-clients
    ;;
  rpc_connection_loss)
    check "$loss_out" "$bin/rpc_examples" connection-loss
    ;;
  rpc_all_msgpack_blosc)
    check "-- basics
$add_out
-- service-dict
$add_out
-- hierarchy
$hierarchy_out
-- router-add
$hierarchy_out
-- remote-exception
$exception_out
-- connected-clients
$connected_out
-- connection-loss
$loss_out" "$bin/rpc_examples" --codec msgpack-blosc all
    ;;
  tls_rpc)
    sh "$make_certs" "$tmp/certs"
    check "ohai
cya
$add_out
client certificate from another CA: rejected (REASON)" \
      "$bin/tls_rpc" --certs "$tmp/certs"
    # The docs' form: both sides use one device.pem, good for server and
    # client authentication, signed by the CA.
    make_device_cert "$tmp/certs"
    check "ohai
cya
$add_out" "$bin/tls_rpc" --ca "$tmp/certs/ca.pem" \
      --cert "$tmp/certs/device.pem" --key "$tmp/certs/device.key"
    ;;
  agents_hello_world)
    check "$hello_out" "$bin/agent_examples" hello-world
    ;;
  agents_caller_callee)
    check "$caller_out" "$bin/agent_examples" caller-callee
    ;;
  agents_multi_container)
    check "$multi_out" "$bin/agent_examples" multi-container
    ;;
  agents_local_queue)
    check "$local_out" "$bin/agent_examples" local-queue
    ;;
  agents_clocks)
    check "$clocks_out" "$bin/agent_examples" clocks
    # The same agent on an external clock stepped to each next activity.
    check "$clocks_out" "$bin/agent_examples" --clock external clocks
    ;;
  agents_external_clock)
    check "$external_out" "$bin/agent_examples" external-clock
    ;;
  agents_typed_agent)
    check "$typed_out" "$bin/agent_examples" typed-agent
    ;;
  agents_all_msgpack)
    check "-- hello-world
$hello_out
-- caller-callee
$caller_out
-- multi-container
$multi_out
-- local-queue
$local_out
-- clocks
$clocks_out
-- external-clock
$external_out
-- typed-agent
$typed_out" "$bin/agent_examples" --codec msgpack all
    ;;
  tls_containers)
    sh "$make_certs" "$tmp/certs"
    check "$tls_containers_out
container without TLS: rejected (REASON)
container certified by another CA: rejected (REASON)" \
      "$bin/tls_containers" --certs "$tmp/certs"
    check "$tls_containers_out" "$bin/tls_containers" \
      --ca "$tmp/certs/ca.pem" --cert "$tmp/certs/device.pem" \
      --key "$tmp/certs/device.key"
    ;;
  subproc_master)
    check "$subproc_out" "$bin/subproc_master"
    check "$subproc_out" "$bin/subproc_master" --codec json
    ;;
  mango_roundtrip)
    check "replier got 'Hello'
initiator got 'Hello2'
replier got 'May I go?'
initiator got 'Goodbye'
  performative inform, in_reply_to 'bye?'" "$bin/mango_examples" roundtrip
    ;;
  mango_clock)
    check "next event: 150
planner: task at 150
agent clock: 150, next event: 150" "$bin/mango_examples" clock
    ;;
  mango_ec)
    check 'step(1): {"__type__": [-1465703651, {"content": "reply:hello", "meta": {"sender_id": "a", "sender_addr": "eid_1", "receiver_id": "remote", "receiver_addr": "other_sim_eid"}}]} to '"'other_sim_eid'"'
  next_activity 5.000000
step(5): {"__type__": [-1465703651, {"content": "wake-up", "meta": {"sender_id": "a", "sender_addr": "eid_1", "receiver_id": "remote", "receiver_addr": "other_sim_eid"}}]} to '"'other_sim_eid'"'
  next_activity None' "$bin/mango_examples" ec
    ;;
  mango_roles)
    check "ok: 21.500000
alarm: 35.000000" "$bin/mango_examples" roles
    ;;
  mango_typed)
    check "greeter got 'world'
listener got 'hello world' from 'greeter'" "$bin/mango_examples" typed
    ;;
  *)
    echo "$0: unknown case '$case_name'" >&2
    exit 2
    ;;
esac
