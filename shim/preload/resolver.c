// resolver.c — a small ring of address→name pairs.
#include "resolver.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>

struct resolved {
  int family;  // 0 when the slot is empty
  uint8_t addr[16];
  char name[256];
};

static struct resolved ring[TS_RESOLVER_SLOTS];
static size_t next_slot;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

// normalise turns an IPv4-mapped IPv6 address into IPv4 so both spellings of
// one address find the same slot. Returns the address length.
static size_t normalise(int *family, const uint8_t **addr) {
  if (*family == AF_INET6 && memcmp(*addr, v4_mapped_prefix, 12) == 0) {
    *family = AF_INET;
    *addr += 12;
  }
  return *family == AF_INET ? 4 : 16;
}

static int is_ip_literal(const char *name) {
  uint8_t buf[16];
  return inet_pton(AF_INET, name, buf) == 1 ||
         inet_pton(AF_INET6, name, buf) == 1;
}

void ts_resolver_remember(const char *name, int family, const uint8_t *addr) {
  if (name == NULL || (family != AF_INET && family != AF_INET6)) {
    return;
  }
  size_t name_len = strlen(name);
  if (name_len == 0 || name_len >= sizeof(ring[0].name) ||
      is_ip_literal(name)) {
    return;
  }
  size_t addr_len = normalise(&family, &addr);
  pthread_mutex_lock(&ring_lock);
  struct resolved *slot = NULL;
  for (size_t i = 0; i < TS_RESOLVER_SLOTS; i++) {
    if (ring[i].family == family && memcmp(ring[i].addr, addr, addr_len) == 0) {
      slot = &ring[i];
      break;
    }
  }
  if (slot == NULL) {
    slot = &ring[next_slot];
    next_slot = (next_slot + 1) % TS_RESOLVER_SLOTS;
  }
  slot->family = family;
  memset(slot->addr, 0, sizeof(slot->addr));
  memcpy(slot->addr, addr, addr_len);
  for (size_t i = 0; i <= name_len; i++) {
    slot->name[i] = (char)tolower((unsigned char)name[i]);
  }
  // A trailing dot (an absolute name) is not part of what certificates carry.
  if (name_len > 1 && slot->name[name_len - 1] == '.') {
    slot->name[name_len - 1] = '\0';
  }
  pthread_mutex_unlock(&ring_lock);
}

int ts_resolver_lookup(int family, const uint8_t *addr, char *out,
                       size_t out_len) {
  if (family != AF_INET && family != AF_INET6) {
    return 0;
  }
  size_t addr_len = normalise(&family, &addr);
  int found = 0;
  pthread_mutex_lock(&ring_lock);
  for (size_t i = 0; i < TS_RESOLVER_SLOTS; i++) {
    if (ring[i].family == family && memcmp(ring[i].addr, addr, addr_len) == 0) {
      size_t len = strlen(ring[i].name);
      if (len < out_len) {
        memcpy(out, ring[i].name, len + 1);
        found = 1;
      }
      break;
    }
  }
  pthread_mutex_unlock(&ring_lock);
  return found;
}

void ts_resolver_after_fork_child(void) {
  pthread_mutex_init(&ring_lock, NULL);
}
