#!/usr/bin/env bash
# make-certs.sh OUTDIR — the test PKI: a CA, good and deliberately bad server
# certificates, and client certificates for mutual TLS. EC P-256 keys (fast),
# a second, Ed25519, CA with a server and a client certificate, one RSA
# server certificate, one the CA signed with SHA-1, an RSA CA that signs
# server certificates with RSA-PSS (SHA-1 and SHA-256), and a root that signs
# itself with SHA-1 (as old roots do) with a server certificate under it,
# and an intermediate CA under the first CA with a server certificate.
# Idempotent: nothing is redone while OUTDIR/.complete is newer than this
# script.
set -euo pipefail
out=${1:?usage: make-certs.sh OUTDIR}
mkdir -p "$out"
# Test runners start many processes at once (Criterion runs tests in
# parallel); the lock makes one of them build the set while the others wait,
# and .complete, removed first and written last, marks a finished set.
exec 9<"$out"  # the directory itself is the lock: no extra file
flock 9
if [ -f "$out/.complete" ] && [ "$out/.complete" -nt "$0" ]; then
  exit 0
fi
rm -f "$out/.complete"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077

# KEYS picks the key type of what ca and leaf make next: P-256 (or RSA)
# keys signed with SHA-256, or Ed25519 keys, which take no separate digest.
KEYS=p256
newkey() {
  if [ "$KEYS" = ed25519 ]; then
    openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null
  elif [ "$KEYS" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  fi
}
# DIGEST (default sha256) is the digest of the signature ca and leaf make.
digest() { [ "$KEYS" = ed25519 ] || echo "-${DIGEST:-sha256}"; }
# PSS=1 makes leaf sign with RSA-PSS (the signer's key must be RSA); with
# SHA-1 the parameters are left out, which means SHA-1 (RFC 4055).
pss() { [ "${PSS:-0}" = 0 ] || echo "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1"; }

# ca NAME CN: a self-signed certificate authority.
ca() {
  newkey "$out/$1.key"
  openssl req -x509 -new -key "$out/$1.key" -subj "/CN=$2" -days 3650 $(digest) \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$out/$1.pem" 2>/dev/null
}

# leaf NAME CA CN SAN USAGE [STARTDATE ENDDATE]: a certificate signed by CA.
# With dates, `openssl ca` is used, the only 3.0 tool that sets past dates.
leaf() {
  local name=$1 signer=$2 cn=$3 san=$4 usage=$5 start=${6:-} end=${7:-}
  newkey "$out/$name.key"
  openssl req -new -key "$out/$name.key" -subj "/CN=$cn" -out "$work/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
    "$usage" "$san" > "$work/$name.ext"
  if [ -z "$start" ]; then
    openssl x509 -req -in "$work/$name.csr" -CA "$out/$signer.pem" -CAkey "$out/$signer.key" \
      -CAcreateserial -CAserial "$work/$signer.srl" -days 3650 $(digest) $(pss) \
      -extfile "$work/$name.ext" -out "$out/$name.pem" 2>/dev/null
    return
  fi
  mkdir -p "$work/db"
  : > "$work/db/index.txt"
  echo 1000 > "$work/db/serial"
  cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $work/db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
CNF
  openssl ca -batch -config "$work/ca.cnf" -cert "$out/$signer.pem" -keyfile "$out/$signer.key" \
    -in "$work/$name.csr" -startdate "$start" -enddate "$end" -extfile "$work/$name.ext" \
    -notext -out "$out/$name.pem" 2>/dev/null
}

# intermediate NAME SIGNER CN: a CA certificate that SIGNER signed.
intermediate() {
  newkey "$out/$1.key"
  openssl req -new -key "$out/$1.key" -subj "/CN=$3" -out "$work/$1.csr" 2>/dev/null
  printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$out/$2.pem" -CAkey "$out/$2.key" \
    -CAcreateserial -CAserial "$work/$2.srl" -days 3650 -sha256 \
    -extfile "$work/$1.ext" -out "$out/$1.pem" 2>/dev/null
}

server_san='DNS:localhost,DNS:tlsshim.test,IP:127.0.0.1,IP:::1'

ca ca "tlsshim Test CA"
ca other-ca "tlsshim Other CA"
leaf server ca localhost "$server_san" serverAuth
leaf expired ca localhost "$server_san" serverAuth 20200101000000Z 20210101000000Z
leaf wrongname ca wrong.test 'DNS:wrong.test' serverAuth
leaf unknown-ca-server other-ca localhost "$server_san" serverAuth
# A server certificate from an intermediate CA, as public PKIs issue them:
# inter-chain.pem holds it and the intermediate, the chain a server sends.
intermediate inter ca "tlsshim Test Intermediate CA"
leaf inter-server inter localhost "$server_san" serverAuth
cat "$out/inter-server.pem" "$out/inter.pem" > "$out/inter-chain.pem"
# The server certificate as OpenSSL writes a trusted one (TRUSTED CERTIFICATE).
openssl x509 -in "$out/server.pem" -trustout -addtrust serverAuth -out "$out/server-trusted.pem"
leaf client ca client.test 'DNS:client.test,URI:spiffe://tlsshim.test/workload/client' clientAuth
leaf client2 ca other-client.test 'DNS:other-client.test' clientAuth
leaf client-other other-ca client.test 'DNS:client.test' clientAuth
DIGEST=sha1 leaf sha1-server ca localhost "$server_san" serverAuth
DIGEST=sha1 ca sha1-root "tlsshim SHA-1 Root CA"
leaf sha1-root-server sha1-root localhost "$server_san" serverAuth
KEYS=rsa
leaf rsa-server ca localhost "$server_san" serverAuth
ca rsa-ca "tlsshim RSA Test CA"
KEYS=p256
PSS=1 DIGEST=sha1 leaf pss-sha1-server rsa-ca localhost "$server_san" serverAuth
PSS=1 leaf pss-server rsa-ca localhost "$server_san" serverAuth

KEYS=ed25519
ca ed-ca "tlsshim Ed25519 Test CA"
leaf ed-server ed-ca localhost "$server_san" serverAuth
leaf ed-client ed-ca client.test 'DNS:client.test' clientAuth
KEYS=p256

newkey "$out/selfsigned.key"
openssl req -x509 -new -key "$out/selfsigned.key" -subj "/CN=localhost" -days 3650 -sha256 \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -out "$out/selfsigned.pem" 2>/dev/null

chmod 600 "$out"/*.key
chmod 644 "$out"/*.pem
touch "$out/.complete"
