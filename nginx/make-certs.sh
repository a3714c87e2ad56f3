#!/usr/bin/env bash
# Make the certificates of the mTLS proxy with openssl, into DIR (default: ./certs):
#   ca.crt/.key                 the CA whose clients nginx admits (ssl_client_certificate)
#   server.crt/.key             nginx's certificate, for 127.0.0.1 and localhost (+ SERVER_NAMES)
#   client.crt/.key             a client certificate signed by the CA (CN=$CLIENT_CN)
#   other-ca.crt/.key           an unrelated CA, and
#   other-client.crt/.key       a client it signed, which nginx must refuse
# Usage: nginx/make-certs.sh [DIR]; environment: CLIENT_CN (cromwes-client),
# SERVER_NAMES (extra subjectAltNames, e.g. "DNS:wes.example.org,IP:10.0.0.5"), DAYS (825).
# These are for tests and demos; in production use your organisation's CA.
set -euo pipefail
DIR="${1:-certs}"
CLIENT_CN="${CLIENT_CN:-cromwes-client}"
DAYS="${DAYS:-825}"
SAN="IP:127.0.0.1,IP:::1,DNS:localhost${SERVER_NAMES:+,$SERVER_NAMES}"
mkdir -p "$DIR"
cd "$DIR"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # name, common name
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$DAYS" -subj "/O=cromwes/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$1.crt"
}

leaf() {  # name, CA name, subject, extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -sha256 \
    -days "$DAYS" -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "cromwes test CA"
leaf server ca "/O=cromwes/CN=localhost" \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$SAN"
CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
leaf client ca "/O=cromwes/CN=$CLIENT_CN" "$CLIENT_EXT"
ca other-ca "some other CA"
leaf other-client other-ca "/O=elsewhere/CN=$CLIENT_CN" "$CLIENT_EXT"
rm -f ./*.srl
chmod 644 ./*.crt
echo "certificates in $(pwd): ca, server ($SAN), client (CN=$CLIENT_CN), other-ca, other-client"
