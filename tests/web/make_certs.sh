#!/bin/sh
# Writes a throwaway PKI for the web tests into $1: a CA with a server certificate for
# 127.0.0.1/localhost and a client certificate, and an unrelated CA with its own client
# certificate (which a server trusting only the first CA must refuse).
set -eu
dir=$1
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # ca NAME SUBJECT
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 2 -out "$1.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() {  # leaf NAME CA SUBJECT EXTFILE-LINES
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "batchwatch test CA"
ca other-ca "unrelated test CA"
leaf server ca localhost "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
leaf client ca prometheus "extendedKeyUsage=clientAuth"
leaf other-client other-ca intruder "extendedKeyUsage=clientAuth"
# A key that belongs to no certificate here.
key stray.key
