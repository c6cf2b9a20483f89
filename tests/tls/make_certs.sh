#!/bin/sh
# Generates the test PKI for the TLS tests into OUTDIR (EC P-256 keys):
#   ca.pem/ca.key                 test CA
#   server.pem/server.key         CN=localhost, SAN DNS:localhost,
#                                 IP:127.0.0.1, IP:::1 (signed by ca)
#   client.pem/client.key         CN=client (signed by ca)
#   device.pem/device.key         CN=localhost, SAN as server, for both
#                                 ends (an aiomas container's SSLCerts:
#                                 one certificate serves and connects)
#   other-ca.pem/other-ca.key     an unrelated CA
#   other-server.pem/.key         like server, signed by other-ca
#   other-client.pem/.key         like client, signed by other-ca
# Quiet unless something fails; exits non-zero on failure. Running it again
# on a complete OUTDIR does nothing.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
out=$1
openssl=${OPENSSL:-openssl}

files="ca.pem ca.key server.pem server.key client.pem client.key
device.pem device.key
other-ca.pem other-ca.key other-server.pem other-server.key
other-client.pem other-client.key"

mkdir -p "$out"
complete=1
for f in $files; do
  [ -s "$out/$f" ] || complete=0
done
[ "$complete" = 1 ] && exit 0

work=$(mktemp -d "$out/.make_certs.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

run() {
  if ! "$@" >>"$log" 2>&1; then
    echo "make_certs.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

cat >"$work/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ device_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
cnf=$work/openssl.cnf

new_key() {
  run "$openssl" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$work/$1.key"
}

# make_ca NAME CN
make_ca() {
  new_key "$1"
  run "$openssl" req -config "$cnf" -new -x509 -key "$work/$1.key" \
    -subj "/CN=$2" -days 3650 -sha256 -extensions ca_ext \
    -out "$work/$1.pem"
}

# make_leaf NAME CN EXT CA
make_leaf() {
  new_key "$1"
  run "$openssl" req -config "$cnf" -new -key "$work/$1.key" -subj "/CN=$2" \
    -out "$work/$1.csr"
  serial=0x$("$openssl" rand -hex 8)
  run "$openssl" x509 -req -in "$work/$1.csr" -CA "$work/$4.pem" \
    -CAkey "$work/$4.key" -set_serial "$serial" -days 3650 -sha256 \
    -extfile "$cnf" -extensions "$3" -out "$work/$1.pem"
}

make_ca ca "libmas test CA"
make_leaf server localhost server_ext ca
make_leaf client client client_ext ca
make_leaf device localhost device_ext ca
make_ca other-ca "libmas other CA"
make_leaf other-server localhost server_ext other-ca
make_leaf other-client client client_ext other-ca

run "$openssl" verify -CAfile "$work/ca.pem" "$work/server.pem" \
  "$work/client.pem" "$work/device.pem"
run "$openssl" verify -CAfile "$work/other-ca.pem" "$work/other-server.pem" \
  "$work/other-client.pem"

chmod 600 "$work"/*.key
for f in $files; do
  mv -f "$work/$f" "$out/$f"
done
