// config.h — tlsshim's configuration: INI files parsed into a frozen, validated
// struct. This module knows nothing of sockets, hooks or TLS; it turns text
// into data and rejects anything it does not understand.
#ifndef TLSSHIM_CONFIG_H
#define TLSSHIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

// TS_MAX_PORTS is the most ports one rule may name.
#define TS_MAX_PORTS 32

// TS_DEFAULT_CA_FILE is the trust store a client rule uses when it names none.
#define TS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

enum ts_role {
  TS_ROLE_CLIENT = 0,  // [client:NAME]: connections the program opens
  TS_ROLE_SERVER = 1,  // [server:NAME]: connections the program accepts
};

enum ts_log_level {
  TS_LOG_ERROR = 0,
  TS_LOG_WARN = 1,
  TS_LOG_INFO = 2,
  TS_LOG_DEBUG = 3,
};

enum ts_host_kind {
  TS_HOST_ANY = 0,   // no `host` key: every destination on the rule's ports
  TS_HOST_CIDR = 1,  // an address (stored as a /32 or /128) or a CIDR block
  TS_HOST_NAME = 2,  // a host name the program resolved (case-insensitive)
};

// ts_host_match is the parsed `host` key of a client rule.
struct ts_host_match {
  enum ts_host_kind kind;
  int family;           // AF_INET or AF_INET6 when kind is TS_HOST_CIDR
  uint8_t addr[16];     // network byte order; 4 bytes used for AF_INET
  unsigned prefix_len;  // 0..32 or 0..128; bits beyond it are zero
  char name[256];       // lower-cased, when kind is TS_HOST_NAME
};

// ts_rule is one [client:NAME] or [server:NAME] section after validation.
// Paths are absolute (relative ones are resolved against the directory of the
// file that named them). Strings are NUL-terminated and owned by the config.
struct ts_rule {
  char name[64];
  enum ts_role role;
  uint16_t ports[TS_MAX_PORTS];
  size_t num_ports;
  struct ts_host_match host;  // client rules only; TS_HOST_ANY for servers
  char *ca_file;              // client: trust store (never NULL after load)
  char *server_name;          // client: name to verify and send as SNI, or NULL
  char *cert;                 // client: optional; server: required
  char *key;                  // set exactly when cert is set
  char *client_ca;     // server: when set, client certificates are required
  char **allow_names;  // server: allow-list of peer identities, or NULL
  size_t num_allow_names;
  uint16_t min_version;    // 0x0303 (TLS 1.2, the default) or 0x0304 (TLS 1.3)
  int resumption;          // 1 (default): resume sessions; 0: every handshake
                           // is a full one (client: no session cache; server:
                           // no tickets, no session cache)
  char source_file[4096];  // file that defined the rule
  unsigned source_line;    // line of the section header
  size_t index;            // position in ts_config.rules
};

// ts_config is the whole configuration. It is immutable once loaded.
struct ts_config {
  enum ts_log_level log_level;  // default TS_LOG_WARN
  char *log_file;               // NULL means standard error
  struct ts_rule *rules;
  size_t num_rules;
};

// ts_config_load reads |path|, which names an INI file or a directory whose
// *.ini files are read in name order. On success it returns 1 and sets
// |*out_config| to a new config the caller frees with |ts_config_free|. On
// failure it returns 0 and writes a one-line message into |err| (at most
// |err_len| bytes, NUL-terminated) naming the file, the line and the key, e.g.
// "app.ini:7: key 'prot' is not known in section [client:db]".
int ts_config_load(const char *path, struct ts_config **out_config, char *err,
                   size_t err_len);

// ts_config_free releases |config|. It accepts NULL.
void ts_config_free(struct ts_config *config);

// ts_config_find_client_rule returns the client rule covering a connection to
// |port| on the address |addr| (4 bytes for AF_INET, 16 for AF_INET6, network
// order), which the program resolved from |name| (NULL when unknown), or NULL
// when no rule covers it. IPv4-mapped IPv6 addresses are matched as IPv4.
// When several rules match, the most specific wins: a host name, then the
// longest CIDR prefix, then a rule without `host`.
const struct ts_rule *ts_config_find_client_rule(const struct ts_config *config,
                                                 int family,
                                                 const uint8_t *addr,
                                                 uint16_t port,
                                                 const char *name);

// ts_config_find_server_rule returns the server rule for connections accepted
// on local |port|, or NULL.
const struct ts_rule *ts_config_find_server_rule(const struct ts_config *config,
                                                 uint16_t port);

// ts_config_covers_port returns 1 when any rule (client or server) names
// |port|, else 0. It lets callers skip address work for uncovered ports.
int ts_config_covers_port(const struct ts_config *config, uint16_t port);

// ts_config_print writes the effective rules, one block per rule, to |out|.
void ts_config_print(const struct ts_config *config, FILE *out);

#ifdef __cplusplus
}
#endif

#endif  // TLSSHIM_CONFIG_H
