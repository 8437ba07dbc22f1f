// policy.c — which sockets tlsshim touches.
#include "policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "real.h"
#include "resolver.h"
#include "runtime.h"
#include "tcp.h"

// addr_parts extracts family, address bytes and port from an inet address.
static int addr_parts(const struct sockaddr *addr, socklen_t addr_len,
                      int *family, const uint8_t **bytes, uint16_t *port) {
  if (addr == NULL) {
    return 0;
  }
  if (addr->sa_family == AF_INET && addr_len >= sizeof(struct sockaddr_in)) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
    *family = AF_INET;
    *bytes = (const uint8_t *)&in->sin_addr;
    *port = ntohs(in->sin_port);
    return 1;
  }
  if (addr->sa_family == AF_INET6 && addr_len >= sizeof(struct sockaddr_in6)) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
    *family = AF_INET6;
    *bytes = (const uint8_t *)&in6->sin6_addr;
    *port = ntohs(in6->sin6_port);
    return 1;
  }
  return 0;
}

// is_tcp returns 1 for a TCP socket (not UDP, not SCTP's stream mode).
// port_gate is the check both directions share: without a configuration a
// TCP socket is denied; with one, only TCP on a port some rule names goes
// on (TS_COVER, with |*out_config| set) to the rule lookup.
static enum ts_verdict port_gate(int fd, uint16_t port,
                                 const struct ts_config **out_config) {
  const struct ts_config *config = ts_runtime_config();
  if (config == NULL) {
    return ts_is_tcp(fd) ? TS_DENY : TS_PASS;
  }
  if (!ts_config_covers_port(config, port) || !ts_is_tcp(fd)) {
    return TS_PASS;
  }
  *out_config = config;
  return TS_COVER;
}

static void ip_text(int family, const uint8_t *bytes, char *out, size_t len) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family == AF_INET6 && memcmp(bytes, mapped, 12) == 0) {
    family = AF_INET;
    bytes += 12;
  }
  if (inet_ntop(family, bytes, out, (socklen_t)len) == NULL) {
    snprintf(out, len, "?");
  }
}

enum ts_verdict ts_policy_client(int fd, const struct sockaddr *addr,
                                 socklen_t addr_len,
                                 const struct ts_rule **out_rule,
                                 char *verify_name, size_t verify_name_len) {
  int family = 0;
  const uint8_t *bytes = NULL;
  uint16_t port = 0;
  if (!addr_parts(addr, addr_len, &family, &bytes, &port)) {
    return TS_PASS;
  }
  const struct ts_config *config = NULL;
  enum ts_verdict gate = port_gate(fd, port, &config);
  if (gate != TS_COVER) {
    return gate;
  }
  char resolved[256];
  int have_name = ts_resolver_lookup(family, bytes, resolved, sizeof(resolved));
  const struct ts_rule *rule = ts_config_find_client_rule(
      config, family, bytes, port, have_name ? resolved : NULL);
  if (rule == NULL) {
    return TS_PASS;
  }
  if (rule->server_name != NULL) {
    snprintf(verify_name, verify_name_len, "%s", rule->server_name);
  } else if (have_name) {
    snprintf(verify_name, verify_name_len, "%s", resolved);
  } else {
    ip_text(family, bytes, verify_name, verify_name_len);
  }
  *out_rule = rule;
  return TS_COVER;
}

enum ts_verdict ts_policy_server(int fd, const struct ts_rule **out_rule) {
  struct sockaddr_storage local;
  socklen_t len = sizeof(local);
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
    return TS_PASS;
  }
  int family = 0;
  const uint8_t *bytes = NULL;
  uint16_t port = 0;
  if (!addr_parts((struct sockaddr *)&local, len, &family, &bytes, &port)) {
    return TS_PASS;
  }
  const struct ts_config *config = NULL;
  enum ts_verdict gate = port_gate(fd, port, &config);
  if (gate != TS_COVER) {
    return gate;
  }
  const struct ts_rule *rule = ts_config_find_server_rule(config, port);
  if (rule == NULL) {
    return TS_PASS;
  }
  *out_rule = rule;
  return TS_COVER;
}
