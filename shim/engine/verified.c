// verified.c — certificate chains a context has already verified.
//
// A full TLS 1.3 handshake costs the verifying side two signature checks: the
// chain (the CA's signature on the peer's certificate) and the handshake's
// CertificateVerify. With this BoringSSL build a P-256 verify is the most
// expensive step of a client's handshake. The chain check depends only on the
// chain, the trust store and rule (fixed per context), the expected name and
// the time, so its success is remembered per context: a chain seen again with
// the same name within its validity, and at most TS_VERIFIED_TTL seconds
// later, is accepted without running the verifier again. CertificateVerify,
// which proves the peer holds the key, is checked on every handshake.
// Failures are never remembered: each one is re-checked and explained.
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>
#include <time.h>

#include "engine.h"

void verified_init(struct verified_cache *cache) {
  memset(cache, 0, sizeof(*cache));
  pthread_mutex_init(&cache->lock, NULL);
}

void verified_destroy(struct verified_cache *cache) {
  pthread_mutex_destroy(&cache->lock);
}

// The key is the chain exactly as the peer sent it.
int verified_key(const SSL *ssl, const char *name,
                 uint8_t key[SHA256_DIGEST_LENGTH]) {
  const STACK_OF(CRYPTO_BUFFER) *certs = SSL_get0_peer_certificates(ssl);
  if (certs == NULL || sk_CRYPTO_BUFFER_num(certs) == 0) {
    return 0;
  }
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, name, strlen(name) + 1);  // the NUL ends the name
  for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(certs); i++) {
    const CRYPTO_BUFFER *cert = sk_CRYPTO_BUFFER_value(certs, i);
    uint64_t len = CRYPTO_BUFFER_len(cert);
    SHA256_Update(&sha, &len, sizeof(len));  // lengths keep boundaries apart
    SHA256_Update(&sha, CRYPTO_BUFFER_data(cert), CRYPTO_BUFFER_len(cert));
  }
  SHA256_Final(key, &sha);
  return 1;
}

// valid_until is the earliest notAfter in the verified chain, trust anchor
// included, capped at TS_VERIFIED_TTL from |now|. (At that very second the
// chain is still valid; re-verifying it then is merely cautious.)
static time_t valid_until(X509_STORE_CTX *store, time_t now) {
  time_t until = now + TS_VERIFIED_TTL;
  STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(store);
  ASN1_TIME *now_asn1 = ASN1_TIME_set(NULL, now);
  if (chain == NULL || now_asn1 == NULL) {
    ASN1_TIME_free(now_asn1);
    return now;  // nothing can be remembered
  }
  for (size_t i = 0; i < sk_X509_num(chain); i++) {
    int days = 0;
    int secs = 0;
    if (!ASN1_TIME_diff(&days, &secs, now_asn1,
                        X509_get0_notAfter(sk_X509_value(chain, i)))) {
      until = now;
      break;
    }
    time_t left = (time_t)days * 86400 + secs;
    if (now + left < until) {
      until = now + left;
    }
  }
  ASN1_TIME_free(now_asn1);
  return until;
}

int verified_lookup(struct verified_cache *cache, const uint8_t *key) {
  time_t now = time(NULL);
  int hit = 0;
  pthread_mutex_lock(&cache->lock);
  for (size_t i = 0; i < TS_VERIFIED_SLOTS && !hit; i++) {
    const struct verified_chain *v = &cache->slot[i];
    hit = v->until > now && v->verified_at <= now &&
          memcmp(v->key, key, sizeof(v->key)) == 0;
  }
  pthread_mutex_unlock(&cache->lock);
  return hit;
}

void verified_remember(struct verified_cache *cache, const uint8_t *key,
                       X509_STORE_CTX *store) {
  time_t now = time(NULL);
  time_t until = valid_until(store, now);
  if (until <= now) {
    return;
  }
  pthread_mutex_lock(&cache->lock);
  struct verified_chain *slot = NULL;
  for (size_t i = 0; i < TS_VERIFIED_SLOTS && slot == NULL; i++) {
    if (memcmp(cache->slot[i].key, key, sizeof(cache->slot[i].key)) == 0) {
      slot = &cache->slot[i];
    }
  }
  if (slot == NULL) {
    slot = &cache->slot[cache->next];
    cache->next = (cache->next + 1) % TS_VERIFIED_SLOTS;
  }
  memcpy(slot->key, key, sizeof(slot->key));
  slot->verified_at = now;
  slot->until = until;
  pthread_mutex_unlock(&cache->lock);
}
