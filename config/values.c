// values.c — text of one INI value to typed data, and back for printing.
#include "values.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The longest DNS name, without its optional trailing dot (RFC 1035).
#define MAX_DNS_NAME 253
#define MAX_DNS_LABEL 63

static const uint8_t ipv4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};

int ts_ascii_iequal(const char *a, size_t a_len, const char *b) {
  for (size_t i = 0; i < a_len; i++) {
    if (b[i] == '\0' || ts_ascii_lower(a[i]) != ts_ascii_lower(b[i])) {
      return 0;
    }
  }
  return b[a_len] == '\0';
}

int ts_list_next(const char **cursor, char *item, size_t item_cap) {
  const char *p = *cursor;
  if (p == NULL) {
    return 0;
  }
  const char *comma = strchr(p, ',');
  const char *end = comma != NULL ? comma : p + strlen(p);
  *cursor = comma != NULL ? comma + 1 : NULL;
  while (p < end && ts_ascii_space(*p)) {
    p++;
  }
  while (end > p && ts_ascii_space(end[-1])) {
    end--;
  }
  size_t len = (size_t)(end - p);
  if (len >= item_cap) {
    return -1;
  }
  memcpy(item, p, len);
  item[len] = '\0';
  return 1;
}

// parse_port returns 1 and sets |*out_port| when |text| is a decimal number in
// 1..65535. Signs, spaces and hexadecimal are refused, unlike strtoul().
static int parse_port(const char *text, uint16_t *out_port, char *why,
                      size_t why_len) {
  unsigned long value = 0;
  if (text[0] == '\0') {
    snprintf(why, why_len, "port list has an empty entry");
    return 0;
  }
  for (const char *p = text; *p != '\0'; p++) {
    if (!ts_ascii_digit(*p)) {
      snprintf(why, why_len, "port '%s' is not a number", text);
      return 0;
    }
    if (value <= 65535) {
      value = value * 10 + (unsigned long)(*p - '0');
    }
  }
  if (value < 1 || value > 65535) {
    snprintf(why, why_len, "port '%s' is out of range (1-65535)", text);
    return 0;
  }
  *out_port = (uint16_t)value;
  return 1;
}

static int port_listed(const uint16_t *ports, size_t num, uint16_t port) {
  for (size_t i = 0; i < num; i++) {
    if (ports[i] == port) {
      return 1;
    }
  }
  return 0;
}

int ts_parse_ports(const char *text, uint16_t *ports, size_t *out_num,
                   char *why, size_t why_len) {
  char item[TS_MAX_LIST_ITEM];
  size_t num = 0;
  const char *cursor = text;
  int got;
  while ((got = ts_list_next(&cursor, item, sizeof(item))) != 0) {
    uint16_t port;
    if (got < 0) {
      snprintf(why, why_len, "port list has an entry that is too long");
      return 0;
    }
    if (!parse_port(item, &port, why, why_len)) {
      return 0;
    }
    if (port_listed(ports, num, port)) {
      snprintf(why, why_len, "port %u is listed twice", (unsigned)port);
      return 0;
    }
    if (num == TS_MAX_PORTS) {
      snprintf(why, why_len, "too many ports (at most %d per rule)",
               TS_MAX_PORTS);
      return 0;
    }
    ports[num++] = port;
  }
  *out_num = num;
  return 1;
}

int ts_parse_ip(const char *text, int *out_family, uint8_t *out_addr) {
  memset(out_addr, 0, 16);
  if (inet_pton(AF_INET, text, out_addr) == 1) {
    *out_family = AF_INET;
    return 1;
  }
  if (inet_pton(AF_INET6, text, out_addr) == 1) {
    *out_family = AF_INET6;
    return 1;
  }
  return 0;
}

static int is_label_char(char c) {
  return ts_ascii_alpha(c) || ts_ascii_digit(c) || c == '-';
}

// label_ok checks one label of |len| characters starting at |label|.
static int label_ok(const char *label, size_t len) {
  if (len == 0 || len > MAX_DNS_LABEL || label[0] == '-' ||
      label[len - 1] == '-') {
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    if (!is_label_char(label[i])) {
      return 0;
    }
  }
  return 1;
}

static int all_digits(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (!ts_ascii_digit(text[i])) {
      return 0;
    }
  }
  return 1;
}

int ts_is_dns_name(const char *text) {
  size_t len = strlen(text);
  if (len > 0 && text[len - 1] == '.') {
    len--;  // "db.internal." is the same name, written fully qualified
  }
  if (len == 0 || len > MAX_DNS_NAME) {
    return 0;
  }
  const char *label = text;
  const char *end = text + len;
  while (label < end) {
    const char *dot = memchr(label, '.', (size_t)(end - label));
    const char *label_end = dot != NULL ? dot : end;
    size_t label_len = (size_t)(label_end - label);
    if (!label_ok(label, label_len)) {
      return 0;
    }
    // A name whose last label is numeric would read as a mistyped address
    // ("10.0.0"), and resolvers treat it as one.
    if (dot == NULL && all_digits(label, label_len)) {
      return 0;
    }
    label = dot != NULL ? dot + 1 : end;
    if (dot != NULL && label == end) {
      return 0;  // "a..": an empty label at the end
    }
  }
  return 1;
}

// copy_dns_name stores |text| lower-cased without its trailing dot.
static void copy_dns_name(const char *text, char *out, size_t out_cap) {
  size_t len = strlen(text);
  if (len > 0 && text[len - 1] == '.') {
    len--;
  }
  if (len >= out_cap) {
    len = out_cap - 1;
  }
  for (size_t i = 0; i < len; i++) {
    out[i] = ts_ascii_lower(text[i]);
  }
  out[len] = '\0';
}

// parse_prefix_len reads the digits after '/' of a CIDR block.
static int parse_prefix_len(const char *text, unsigned max, unsigned *out) {
  size_t len = strlen(text);
  if (len == 0 || len > 3 || !all_digits(text, len)) {
    return 0;
  }
  unsigned value = (unsigned)atoi(text);
  if (value > max) {
    return 0;
  }
  *out = value;
  return 1;
}

// clear_host_bits zeroes the bits after |prefix_len| and returns 1 when
// they were all zero already.
static int clear_host_bits(uint8_t *addr, unsigned prefix_len) {
  int were_zero = 1;
  for (unsigned bit = prefix_len; bit < 128; bit++) {
    uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
    if (addr[bit / 8] & mask) {
      were_zero = 0;
      addr[bit / 8] &= (uint8_t)~mask;
    }
  }
  return were_zero;
}

// to_ipv4_if_mapped rewrites ::ffff:a.b.c.d/96+n as a.b.c.d/n, because
// connections to mapped addresses are matched as IPv4.
static void to_ipv4_if_mapped(struct ts_host_match *host) {
  if (host->family != AF_INET6 || host->prefix_len < 96 ||
      memcmp(host->addr, ipv4_mapped_prefix, 12) != 0) {
    return;
  }
  uint8_t v4[4];
  memcpy(v4, host->addr + 12, 4);
  memset(host->addr, 0, sizeof(host->addr));
  memcpy(host->addr, v4, 4);
  host->family = AF_INET;
  host->prefix_len -= 96;
}

static int parse_cidr(const char *text, struct ts_host_match *out, char *why,
                      size_t why_len) {
  char addr_text[64];
  const char *slash = strchr(text, '/');
  size_t addr_len = (size_t)(slash - text);
  if (addr_len >= sizeof(addr_text)) {
    snprintf(why, why_len, "host '%s' is not a valid CIDR block", text);
    return 0;
  }
  memcpy(addr_text, text, addr_len);
  addr_text[addr_len] = '\0';
  if (!ts_parse_ip(addr_text, &out->family, out->addr) ||
      !parse_prefix_len(slash + 1, out->family == AF_INET ? 32 : 128,
                        &out->prefix_len)) {
    snprintf(why, why_len, "host '%s' is not a valid CIDR block", text);
    return 0;
  }
  if (!clear_host_bits(out->addr, out->prefix_len)) {
    // A typo here would silently widen or move the block; name the network
    // the operator probably meant instead of guessing.
    char network[INET6_ADDRSTRLEN];
    inet_ntop(out->family, out->addr, network, sizeof(network));
    snprintf(why, why_len,
             "host '%s' has bits set after the /%u prefix (the network is "
             "%s/%u)",
             text, out->prefix_len, network, out->prefix_len);
    return 0;
  }
  out->kind = TS_HOST_CIDR;
  to_ipv4_if_mapped(out);
  return 1;
}

int ts_parse_host(const char *text, struct ts_host_match *out, char *why,
                  size_t why_len) {
  memset(out, 0, sizeof(*out));
  if (strchr(text, '/') != NULL) {
    return parse_cidr(text, out, why, why_len);
  }
  if (ts_parse_ip(text, &out->family, out->addr)) {
    out->kind = TS_HOST_CIDR;
    out->prefix_len = out->family == AF_INET ? 32 : 128;
    to_ipv4_if_mapped(out);
    return 1;
  }
  if (ts_is_dns_name(text)) {
    out->kind = TS_HOST_NAME;
    copy_dns_name(text, out->name, sizeof(out->name));
    return 1;
  }
  snprintf(why, why_len,
           "host '%s' is not an IP address, a CIDR block or a host name", text);
  return 0;
}

char *ts_parse_server_name(const char *text, char *why, size_t why_len) {
  int family;
  uint8_t addr[16];
  char name[MAX_DNS_NAME + 2];
  const char *stored = text;
  if (!ts_parse_ip(text, &family, addr)) {
    if (!ts_is_dns_name(text)) {
      snprintf(why, why_len,
               "server_name '%s' is not a DNS name or an IP "
               "address",
               text);
      return NULL;
    }
    copy_dns_name(text, name, sizeof(name));
    stored = name;
  }
  char *copy = strdup(stored);
  if (copy == NULL) {
    snprintf(why, why_len, "out of memory");
  }
  return copy;
}

// is_uri accepts "scheme://rest": a scheme as RFC 3986 spells it, then a
// non-empty rest without whitespace or control characters.
static int is_uri(const char *text) {
  const char *sep = strstr(text, "://");
  if (sep == NULL || sep == text || !ts_ascii_alpha(text[0]) ||
      sep[3] == '\0') {
    return 0;
  }
  for (const char *p = text; p < sep; p++) {
    if (!ts_ascii_alpha(*p) && !ts_ascii_digit(*p) && *p != '+' && *p != '-' &&
        *p != '.') {
      return 0;
    }
  }
  for (const char *p = sep + 3; *p != '\0'; p++) {
    if (*p <= ' ' || *p >= 0x7f) {
      return 0;
    }
  }
  return 1;
}

int ts_is_peer_identity(const char *text) {
  int family;
  uint8_t addr[16];
  if (strncmp(text, "*.", 2) == 0) {
    return strchr(text + 2, '.') != NULL && ts_is_dns_name(text + 2);
  }
  return ts_parse_ip(text, &family, addr) || ts_is_dns_name(text) ||
         is_uri(text);
}

int ts_parse_tls_version(const char *text, uint16_t *out_version, char *why,
                         size_t why_len) {
  if (strcmp(text, "1.2") == 0) {
    *out_version = 0x0303;
    return 1;
  }
  if (strcmp(text, "1.3") == 0) {
    *out_version = 0x0304;
    return 1;
  }
  snprintf(why, why_len, "min_version '%s' is not supported (use 1.2 or 1.3)",
           text);
  return 0;
}

int ts_parse_yes_no(const char *key, const char *text, int *out, char *why,
                    size_t why_len) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};
  size_t len = strlen(text);
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (ts_ascii_iequal(text, len, yes[i])) {
      *out = 1;
      return 1;
    }
    if (ts_ascii_iequal(text, len, no[i])) {
      *out = 0;
      return 1;
    }
  }
  snprintf(why, why_len, "%s '%s' is not yes or no", key, text);
  return 0;
}

const char *ts_tls_version_name(uint16_t version) {
  switch (version) {
    case 0x0303:
      return "1.2";
    case 0x0304:
      return "1.3";
    default:
      return "?";
  }
}

static const char *const log_level_names[] = {
    [TS_LOG_ERROR] = "error",
    [TS_LOG_WARN] = "warn",
    [TS_LOG_INFO] = "info",
    [TS_LOG_DEBUG] = "debug",
};

#define NUM_LOG_LEVELS (sizeof(log_level_names) / sizeof(log_level_names[0]))

int ts_parse_log_level(const char *text, enum ts_log_level *out_level,
                       char *why, size_t why_len) {
  for (size_t i = 0; i < NUM_LOG_LEVELS; i++) {
    if (ts_ascii_iequal(text, strlen(text), log_level_names[i])) {
      *out_level = (enum ts_log_level)i;
      return 1;
    }
  }
  snprintf(why, why_len,
           "log_level '%s' is not one of error, warn, info, debug", text);
  return 0;
}

const char *ts_log_level_name(enum ts_log_level level) {
  if ((size_t)level >= NUM_LOG_LEVELS) {
    return "?";
  }
  return log_level_names[level];
}

const char *ts_role_name(enum ts_role role) {
  switch (role) {
    case TS_ROLE_CLIENT:
      return "client";
    case TS_ROLE_SERVER:
      return "server";
    default:
      return "?";
  }
}
