// verify.c — who the peer must be, and why it is not, in words.
//
// Chain, validity dates and name are checked by BoringSSL's X509 verifier
// (trust store from the rule; the name or IP the client expects, per
// connection), which verify_peer runs on the DER chain the peer sent when
// the context has not verified that chain before. Connections themselves
// carry no X509 objects (ctx.c). The verify callback turns the first failure
// into a sentence naming what was wanted and what the certificate carries,
// refuses certificates signed with SHA-1 or MD5 (RSA-PSS included), and applies
// a server rule's allow_names to a verified client certificate.
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/obj.h>
#include <openssl/pool.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void make_ex_index(void) {
  ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int verify_ex_index(void) {
  pthread_once(&ex_once, make_ex_index);
  return ex_index;
}

static int is_ip_literal(const char *s) {
  uint8_t buf[16];
  return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

// append adds "text" to |out| with a ", " separator, truncating safely.
static void append(char *out, size_t len, const char *text) {
  size_t used = strlen(out);
  if (used + 1 < len) {
    snprintf(out + used, len - used, "%s%s", used > 0 ? ", " : "", text);
  }
}

// format_sans writes the certificate's DNS, IP and URI names ("DNS:a, IP:b").
static void format_sans(X509 *cert, char *out, size_t len) {
  out[0] = '\0';
  GENERAL_NAMES *names =
      X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  for (size_t i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
    char item[300];
    item[0] = '\0';
    if (gn->type == GEN_DNS || gn->type == GEN_URI) {
      const ASN1_STRING *s =
          gn->type == GEN_DNS ? gn->d.dNSName : gn->d.uniformResourceIdentifier;
      snprintf(item, sizeof(item), "%s:%.*s",
               gn->type == GEN_DNS ? "DNS" : "URI", ASN1_STRING_length(s),
               (const char *)ASN1_STRING_get0_data(s));
    } else if (gn->type == GEN_IPADD) {
      char ip[INET6_ADDRSTRLEN] = "?";
      int n = ASN1_STRING_length(gn->d.iPAddress);
      inet_ntop(n == 16 ? AF_INET6 : AF_INET,
                ASN1_STRING_get0_data(gn->d.iPAddress), ip, sizeof(ip));
      snprintf(item, sizeof(item), "IP:%s", ip);
    }
    if (item[0] != '\0') {
      append(out, len, item);
    }
  }
  GENERAL_NAMES_free(names);
  if (out[0] == '\0') {
    snprintf(out, len, "no subject alternative names");
  }
}

static void common_name(X509_NAME *name, char *out, size_t len) {
  if (name == NULL ||
      X509_NAME_get_text_by_NID(name, NID_commonName, out, (int)len) < 0) {
    snprintf(out, len, "(no CN)");
  }
}

static void describe_failure(struct ts_tls *tls, int err, X509 *cert) {
  char sans[400];
  char subject[256];
  char issuer[256];
  format_sans(cert, sans, sizeof(sans));
  common_name(X509_get_subject_name(cert), subject, sizeof(subject));
  common_name(X509_get_issuer_name(cert), issuer, sizeof(issuer));
  switch (err) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
      tls_set_reason(tls, EPROTO,
                     "host name mismatch: wanted %s, certificate has %s",
                     tls->verify_name, sans);
      break;
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      tls_set_reason(tls, EPROTO,
                     "IP address mismatch: wanted %s, certificate has %s",
                     tls->verify_name, sans);
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      tls_set_reason(tls, EPROTO, "certificate has expired (CN=%s)", subject);
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      tls_set_reason(tls, EPROTO, "certificate is not yet valid (CN=%s)",
                     subject);
      break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      tls_set_reason(
          tls, EPROTO,
          "self-signed certificate (CN=%s) is not in the trust store", subject);
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      tls_set_reason(tls, EPROTO,
                     "unable to get local issuer certificate: CN=%s is signed "
                     "by CN=%s, which the trust store does not hold",
                     subject, issuer);
      break;
    default:
      tls_set_reason(tls, EPROTO, "certificate rejected: %s (CN=%s)",
                     X509_verify_cert_error_string(err), subject);
      break;
  }
}

static int dns_allowed(const char *entry, const char *san, size_t san_len) {
  if (strncmp(entry, "*.", 2) == 0) {
    const char *dot = memchr(san, '.', san_len);
    if (dot == NULL || dot == san) {
      return 0;  // a wildcard stands for exactly one non-empty label
    }
    size_t rest = san_len - (size_t)(dot + 1 - san);
    return strlen(entry + 2) == rest &&
           strncasecmp(dot + 1, entry + 2, rest) == 0;
  }
  return strlen(entry) == san_len && strncasecmp(entry, san, san_len) == 0;
}

static int entry_matches(const char *entry, const GENERAL_NAME *gn) {
  if (strstr(entry, "://") != NULL) {
    if (gn->type != GEN_URI) {
      return 0;
    }
    const ASN1_STRING *s = gn->d.uniformResourceIdentifier;
    return strlen(entry) == (size_t)ASN1_STRING_length(s) &&
           memcmp(entry, ASN1_STRING_get0_data(s), strlen(entry)) == 0;
  }
  uint8_t ip[16];
  int len = inet_pton(AF_INET, entry, ip) == 1    ? 4
            : inet_pton(AF_INET6, entry, ip) == 1 ? 16
                                                  : 0;
  if (len > 0) {
    return gn->type == GEN_IPADD &&
           ASN1_STRING_length(gn->d.iPAddress) == len &&
           memcmp(ASN1_STRING_get0_data(gn->d.iPAddress), ip, (size_t)len) == 0;
  }
  return gn->type == GEN_DNS &&
         dns_allowed(entry, (const char *)ASN1_STRING_get0_data(gn->d.dNSName),
                     (size_t)ASN1_STRING_length(gn->d.dNSName));
}

static int name_allowed(const struct ts_rule *rule, X509 *cert) {
  GENERAL_NAMES *names =
      X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  int allowed = 0;
  for (size_t i = 0;
       names != NULL && !allowed && i < sk_GENERAL_NAME_num(names); i++) {
    for (size_t j = 0; !allowed && j < rule->num_allow_names; j++) {
      allowed =
          entry_matches(rule->allow_names[j], sk_GENERAL_NAME_value(names, i));
    }
  }
  GENERAL_NAMES_free(names);
  return allowed;
}

// pss_digest returns the digest an RSA-PSS signature names in its
// parameters (RFC 4055): SHA-1 when it names none, NID_undef when the
// parameters cannot be read.
static int pss_digest(const X509 *cert) {
  const X509_ALGOR *alg = NULL;
  X509_get0_signature(NULL, &alg, cert);
  int type = V_ASN1_UNDEF;
  const void *value = NULL;
  X509_ALGOR_get0(NULL, &type, &value, alg);
  if (type != V_ASN1_SEQUENCE || value == NULL) {
    return NID_undef;
  }
  // The whole SEQUENCE element, tag included (see ASN1_TYPE_set0).
  const ASN1_STRING *seq = value;
  CBS der;
  CBS params;
  CBS hash;
  CBS hash_alg;
  CBS oid;
  int present = 0;
  CBS_init(&der, ASN1_STRING_get0_data(seq), (size_t)ASN1_STRING_length(seq));
  if (!CBS_get_asn1(&der, &params, CBS_ASN1_SEQUENCE) ||
      !CBS_get_optional_asn1(
          &params, &hash, &present,
          CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0)) {
    return NID_undef;
  }
  if (!present) {
    return NID_sha1;
  }
  if (!CBS_get_asn1(&hash, &hash_alg, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&hash_alg, &oid, CBS_ASN1_OBJECT)) {
    return NID_undef;
  }
  return OBJ_cbs2nid(&oid);
}

// weak_signature names the digest of |cert|'s signature when it is no longer
// trusted for signatures, SHA-1 or MD5, or one tlsshim cannot tell;
// otherwise it returns NULL.
static const char *weak_signature(const X509 *cert) {
  int nid = X509_get_signature_nid(cert);
  int digest = NID_undef;
  int key = NID_undef;
  if (nid == NID_rsassaPss) {
    digest = pss_digest(cert);
    if (digest == NID_undef) {
      return "an RSA-PSS digest tlsshim cannot read";
    }
  } else if (!OBJ_find_sigid_algs(nid, &digest, &key)) {
    return NULL;  // Ed25519 or unknown: no separate digest, or none to judge
  }
  switch (digest) {
    case NID_sha1:
      return "SHA-1";
    case NID_md5:
    case NID_md5_sha1:
      return "MD5";
    default:
      return NULL;
  }
}

static int verify_callback(int ok, X509_STORE_CTX *store) {
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  struct ts_tls *tls =
      ssl == NULL ? NULL : SSL_get_ex_data(ssl, verify_ex_index());
  X509 *cert = X509_STORE_CTX_get_current_cert(store);
  if (tls == NULL || cert == NULL) {
    return ok;
  }
  if (!ok) {
    describe_failure(tls, X509_STORE_CTX_get_error(store), cert);
    return 0;
  }
  // A certificate below the trust anchor signed with SHA-1 or MD5 can be
  // forged (RFC 9155; OpenSSL 3 refuses it too). The anchor's own
  // self-signature proves nothing and is not judged.
  int depth = X509_STORE_CTX_get_error_depth(store);
  STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(store);
  const char *weak = chain != NULL && depth + 1 < (int)sk_X509_num(chain)
                         ? weak_signature(cert)
                         : NULL;
  if (weak != NULL) {
    char subject[256];
    common_name(X509_get_subject_name(cert), subject, sizeof(subject));
    tls_set_reason(tls, EPROTO, "certificate CN=%s is signed with %s", subject,
                   weak);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  const struct ts_rule *rule = tls->ctx->rule;
  if (depth == 0 && rule->role == TS_ROLE_SERVER && rule->num_allow_names > 0 &&
      !name_allowed(rule, cert)) {
    char sans[400];
    format_sans(cert, sans, sizeof(sans));
    tls_set_reason(tls, EPROTO,
                   "client certificate name not allowed: certificate has %s",
                   sans);
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return 1;
}

// check_chain runs BoringSSL's X509 verifier over the chain the peer sent,
// as libssl's X509 mode would: the context's trust store, the purpose that
// fits the peer's role, the expected name or address (clients), and
// verify_callback to judge each certificate and explain a failure. Returns
// 1 when it passes and, when |key| is given, remembers that it did.
static int check_chain(struct ts_tls *tls, SSL *ssl, const uint8_t *key,
                       uint8_t *out_alert) {
  const STACK_OF(CRYPTO_BUFFER) *certs = SSL_get0_peer_certificates(ssl);
  const struct ts_rule *rule = tls->ctx->rule;
  X509_STORE_CTX *store = X509_STORE_CTX_new();
  STACK_OF(X509) *untrusted = sk_X509_new_null();
  X509 *leaf = NULL;
  int ok = 0;
  if (certs == NULL || sk_CRYPTO_BUFFER_num(certs) == 0) {
    tls_set_reason(tls, EPROTO, "the peer sent no certificate");
    *out_alert = SSL_AD_CERTIFICATE_REQUIRED;
    goto done;
  }
  if (store == NULL || untrusted == NULL) {
    goto done;
  }
  for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(certs); i++) {
    X509 *x509 = X509_parse_from_buffer(sk_CRYPTO_BUFFER_value(certs, i));
    if (x509 == NULL || !sk_X509_push(untrusted, x509)) {
      X509_free(x509);
      tls_set_reason(tls, EPROTO, "certificate %zu cannot be parsed", i + 1);
      *out_alert = SSL_AD_BAD_CERTIFICATE;
      goto done;
    }
  }
  leaf = sk_X509_value(untrusted, 0);
  X509_VERIFY_PARAM *param = NULL;
  if (leaf == NULL ||
      !X509_STORE_CTX_init(store, tls->ctx->trust, leaf, untrusted)) {
    goto done;
  }
  param = X509_STORE_CTX_get0_param(store);
  if (!X509_STORE_CTX_set_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx(),
                                  ssl) ||
      !X509_STORE_CTX_set_default(
          store, rule->role == TS_ROLE_CLIENT ? "ssl_server" : "ssl_client")) {
    goto done;
  }
  if (rule->role == TS_ROLE_CLIENT) {
    int named = is_ip_literal(tls->verify_name)
                    ? X509_VERIFY_PARAM_set1_ip_asc(param, tls->verify_name)
                    : X509_VERIFY_PARAM_set1_host(param, tls->verify_name,
                                                  strlen(tls->verify_name));
    if (!named) {
      goto done;
    }
  }
  X509_STORE_CTX_set_verify_cb(store, verify_callback);
  ok = X509_verify_cert(store) == 1;
  if (ok) {
    ERR_clear_error();  // nothing a passed check queued may fail the handshake
    if (key != NULL) {
      verified_remember(&tls->ctx->verified, key, store);
    }
  } else {
    int err = X509_STORE_CTX_get_error(store);
    if (tls->reason[0] == '\0') {  // verify_callback did not get to say it
      tls_set_reason(tls, EPROTO, "certificate rejected: %s",
                     X509_verify_cert_error_string(err));
    }
    *out_alert = (uint8_t)SSL_alert_from_verify_result(err);
  }
done:
  if (!ok && tls->reason[0] == '\0') {
    tls_set_reason(tls, ENOMEM, "cannot check the certificate: out of memory");
    *out_alert = SSL_AD_INTERNAL_ERROR;
  }
  X509_STORE_CTX_free(store);
  sk_X509_pop_free(untrusted, X509_free);
  return ok;
}

// verify_peer is every connection's certificate check
// (SSL_CTX_set_custom_verify). A chain verified before for the same name
// passes at once (verified.c); BoringSSL checks the handshake signature with
// the certificate's key either way.
static enum ssl_verify_result_t verify_peer(SSL *ssl, uint8_t *out_alert) {
  struct ts_tls *tls = SSL_get_ex_data(ssl, verify_ex_index());
  if (tls == NULL) {
    *out_alert = SSL_AD_INTERNAL_ERROR;
    return ssl_verify_invalid;
  }
  uint8_t key[SHA256_DIGEST_LENGTH];
  int keyed = verified_key(ssl, tls->verify_name, key);
  if (keyed && verified_lookup(&tls->ctx->verified, key)) {
    tls->chain_from_cache = 1;
    return ssl_verify_ok;
  }
  return check_chain(tls, ssl, keyed ? key : NULL, out_alert)
             ? ssl_verify_ok
             : ssl_verify_invalid;
}

// client_ca_names gives a server's CertificateRequest the subjects of the
// client_ca certificates, so a client with several can pick.
static void client_ca_names(SSL_CTX *ssl_ctx, const char *path) {
  STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(path);
  STACK_OF(CRYPTO_BUFFER) *der = sk_CRYPTO_BUFFER_new_null();
  for (size_t i = 0;
       names != NULL && der != NULL && i < sk_X509_NAME_num(names); i++) {
    uint8_t *bytes = NULL;
    int len = i2d_X509_NAME(sk_X509_NAME_value(names, i), &bytes);
    CRYPTO_BUFFER *name =
        len > 0 ? CRYPTO_BUFFER_new(bytes, (size_t)len, NULL) : NULL;
    OPENSSL_free(bytes);
    if (name == NULL || !sk_CRYPTO_BUFFER_push(der, name)) {
      CRYPTO_BUFFER_free(name);
      break;  // the list is a hint to the client; a shorter one still works
    }
  }
  sk_X509_NAME_pop_free(names, X509_NAME_free);
  if (der != NULL) {
    SSL_CTX_set0_client_CAs(ssl_ctx, der);
  }
}

int verify_install(struct ts_tls_ctx *ctx, char *err, size_t err_len) {
  const struct ts_rule *rule = ctx->rule;
  const char *path =
      rule->role == TS_ROLE_CLIENT ? rule->ca_file : rule->client_ca;
  if (path == NULL && rule->role == TS_ROLE_SERVER) {
    return 1;  // no client certificates asked for (BoringSSL's default)
  }
  if (path == NULL) {  // the configuration never allows it: fail closed
    snprintf(err, err_len, "[client:%s]: no ca_file to verify servers with",
             rule->name);
    return 0;
  }
  ctx->trust = X509_STORE_new();
  if (ctx->trust == NULL ||
      !X509_STORE_load_locations(ctx->trust, path, NULL)) {
    ERR_clear_error();
    snprintf(err, err_len,
             "[%s:%s]: cannot load %s %s: no usable PEM "
             "certificates",
             rule->role == TS_ROLE_CLIENT ? "client" : "server", rule->name,
             rule->role == TS_ROLE_CLIENT ? "ca_file" : "client_ca", path);
    return 0;
  }
  int mode = SSL_VERIFY_PEER;
  if (rule->role == TS_ROLE_SERVER) {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    client_ca_names(ctx->ssl_ctx, path);
  }
  SSL_CTX_set_custom_verify(ctx->ssl_ctx, mode, verify_peer);
  return 1;
}

int verify_bind(struct ts_tls *tls) {
  if (!SSL_set_ex_data(tls->ssl, verify_ex_index(), tls)) {
    return 0;
  }
  // The name or address itself is checked in check_chain; an address is
  // not sent as SNI (RFC 6066).
  return tls->ctx->rule->role != TS_ROLE_CLIENT ||
         is_ip_literal(tls->verify_name) ||
         SSL_set_tlsext_host_name(tls->ssl, tls->verify_name);
}
