// resolve.c — remembers the names the program resolves, so that connections
// to the addresses they gave are verified against the name the program meant.
#include <netdb.h>
#include <netinet/in.h>

#include "../resolver.h"
#include "hook.h"

static void remember_addrinfo(const char *node, const struct addrinfo *ai) {
  for (; ai != NULL; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET &&
        ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
      const struct sockaddr_in *in = (const struct sockaddr_in *)ai->ai_addr;
      ts_resolver_remember(node, AF_INET, (const uint8_t *)&in->sin_addr);
    } else if (ai->ai_family == AF_INET6 &&
               ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ai->ai_addr;
      ts_resolver_remember(node, AF_INET6, (const uint8_t *)&in6->sin6_addr);
    }
  }
}

static void remember_hostent(const char *name, const struct hostent *h) {
  if (h == NULL || (h->h_addrtype != AF_INET && h->h_addrtype != AF_INET6)) {
    return;
  }
  for (char **addr = h->h_addr_list; *addr != NULL; addr++) {
    ts_resolver_remember(name, h->h_addrtype, (const uint8_t *)*addr);
  }
}

TS_EXPORT int getaddrinfo(const char *node, const char *service,
                          const struct addrinfo *hints, struct addrinfo **res) {
  int r = TS_REAL(getaddrinfo)(node, service, hints, res);
  if (r == 0 && node != NULL && res != NULL) {
    remember_addrinfo(node, *res);
  }
  return r;
}

TS_EXPORT struct hostent *gethostbyname(const char *name) {
  struct hostent *h = TS_REAL(gethostbyname)(name);
  remember_hostent(name, h);
  return h;
}

TS_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf,
                              size_t buf_len, struct hostent **result,
                              int *h_errnop) {
  int r = TS_REAL(gethostbyname_r)(name, ret, buf, buf_len, result, h_errnop);
  if (r == 0 && result != NULL) {
    remember_hostent(name, *result);
  }
  return r;
}
