// values.h — internal to config/: conversions between the text of one INI
// value and its typed form (ports, hosts, names, versions, levels). These
// functions hold no state and know nothing of files or sections; on failure
// they describe the problem in |why| (NUL-terminated, at most |why_len|
// bytes) without a location, and the caller adds the file, line and section.
#ifndef TLSSHIM_CONFIG_VALUES_H
#define TLSSHIM_CONFIG_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

// The character classes below are ASCII-only on purpose: this code runs inside
// programs that may have called setlocale(), and a locale must not change
// what a configuration means (in a Turkish locale tolower('I') is not 'i').

// ts_ascii_space returns 1 for space, tab, CR, LF, VT and FF, else 0.
static inline int ts_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

// ts_ascii_digit returns 1 for '0'..'9', else 0.
static inline int ts_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// ts_ascii_alpha returns 1 for 'A'..'Z' and 'a'..'z', else 0.
static inline int ts_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// ts_ascii_lower returns |c| with 'A'..'Z' mapped to 'a'..'z'.
static inline char ts_ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

// ts_ascii_iequal returns 1 when the |a_len| bytes at |a| equal the string
// |b| ignoring ASCII case, else 0.
int ts_ascii_iequal(const char *a, size_t a_len, const char *b);

// TS_MAX_LIST_ITEM is the longest entry of a comma-separated list; longer
// entries are refused rather than truncated.
#define TS_MAX_LIST_ITEM 256

// ts_list_next copies the next comma-separated entry of the list at
// |*cursor| into |item| (capacity |item_cap|), without surrounding
// whitespace, and advances |*cursor| past it. It returns 1 when an entry was
// produced, 0 at the end of the list, and -1 when the entry does not fit in
// |item|. An empty entry ("a,,b", "a,") is produced as "" so the caller can
// refuse it.
int ts_list_next(const char **cursor, char *item, size_t item_cap);

// ts_parse_ports parses |text|, a comma-separated list of TCP ports, into
// |ports| (which has room for TS_MAX_PORTS entries). It returns 1 and sets
// |*out_num|, or 0 when an entry is empty, not a number, out of 1..65535,
// listed twice, or when there are more than TS_MAX_PORTS entries.
int ts_parse_ports(const char *text, uint16_t *ports, size_t *out_num,
                   char *why, size_t why_len);

// ts_parse_ip parses an IPv4 or IPv6 literal. It returns 1 and fills
// |*out_family| (AF_INET or AF_INET6) and |out_addr| (16 bytes, network
// order, unused bytes zero), or 0 when |text| is not an address literal.
int ts_parse_ip(const char *text, int *out_family, uint8_t *out_addr);

// ts_is_dns_name returns 1 when |text| is a host name made of RFC 1123
// labels (letters, digits and inner hyphens, 1-63 characters each, at most
// 253 in all, one trailing dot allowed) whose last label is not all digits,
// else 0.
int ts_is_dns_name(const char *text);

// ts_parse_host parses the `host` key of a client rule: an IP literal
// (stored as a /32 or /128), a CIDR block whose host bits are zero, or a DNS
// host name (stored lower-cased, without a trailing dot). IPv4-mapped IPv6
// addresses and blocks of at least /96 are stored as IPv4. It returns 1 and
// fills |*out|, or 0.
int ts_parse_host(const char *text, struct ts_host_match *out, char *why,
                  size_t why_len);

// ts_parse_server_name checks the `server_name` key (a DNS name or an IP
// literal). It returns a new string the caller frees — the name lower-cased
// without a trailing dot, or the literal as written — or NULL with |why| set
// (an invalid name, or "out of memory").
char *ts_parse_server_name(const char *text, char *why, size_t why_len);

// ts_is_peer_identity returns 1 when |text| may appear in `allow_names`: a
// DNS name, a wildcard "*.name" whose name has at least two labels, an IP
// literal, or a URI "scheme://rest" without whitespace, else 0.
int ts_is_peer_identity(const char *text);

// ts_parse_tls_version maps "1.2" to 0x0303 and "1.3" to 0x0304. It returns
// 1 and sets |*out_version|, or 0.
int ts_parse_tls_version(const char *text, uint16_t *out_version, char *why,
                         size_t why_len);

// ts_parse_yes_no maps yes/no, true/false, on/off and 1/0 (in any case) to
// 1 or 0 for the key |key|. It returns 1 and sets |*out|, or 0.
int ts_parse_yes_no(const char *key, const char *text, int *out, char *why,
                    size_t why_len);

// ts_tls_version_name returns "1.2" or "1.3" for a wire version, or "?".
const char *ts_tls_version_name(uint16_t version);

// ts_parse_log_level maps error, warn, info and debug (in any case) to their
// level. It returns 1 and sets |*out_level|, or 0.
int ts_parse_log_level(const char *text, enum ts_log_level *out_level,
                       char *why, size_t why_len);

// ts_log_level_name returns the configuration word for |level|, or "?".
const char *ts_log_level_name(enum ts_log_level level);

// ts_role_name returns "client" or "server", as in section headers.
const char *ts_role_name(enum ts_role role);

#endif  // TLSSHIM_CONFIG_VALUES_H
