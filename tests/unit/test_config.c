// test_config.c — the configuration module: INI text to validated rules,
// every error class with its FILE:LINE message, and the rule lookups.
//
// Each test runs in a fresh temporary directory (|root|). Files whose mode
// matters (private keys) are made there at run time, because git keeps no
// permission bits but the exec bit; static INI texts live in
// tests/unit/fixtures/config/.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../config/config.h"

static char root[PATH_MAX];
static char err[2048];

// format_text is snprintf() that fails the test instead of truncating.
static void format_text(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void format_text(char *out, size_t cap, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  int len = vsnprintf(out, cap, fmt, args);
  va_end(args);
  cr_assert(len >= 0 && (size_t)len < cap, "test text too long");
}

static void make_root(void) {
  char tmpl[] = "/tmp/test_config.XXXXXX";
  cr_assert_not_null(mkdtemp(tmpl));
  cr_assert_not_null(realpath(tmpl, root));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_root(void) {
  nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(config, .init = make_root, .fini = remove_root);

// ---------------------------------------------------------------- helpers

// at returns |rel| inside the test's directory. Results rotate through a few
// buffers so one call may use several.
static const char *at(const char *rel) {
  static char buffers[8][PATH_MAX];
  static unsigned next;
  char *out = buffers[next++ % 8];
  format_text(out, PATH_MAX, "%s/%s", root, rel);
  return out;
}

static void make_parents(const char *path) {
  char copy[PATH_MAX];
  format_text(copy, sizeof(copy), "%s", path);
  for (char *p = copy + 1; *p != '\0'; p++) {
    if (*p == '/') {
      *p = '\0';
      mkdir(copy, 0755);
      *p = '/';
    }
  }
}

// write_file creates |rel| with |mode| and the given text.
static void write_file(const char *rel, mode_t mode, const char *text) {
  const char *path = at(rel);
  make_parents(path);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot create %s", path);
  fputs(text, f);
  fclose(f);
  cr_assert_eq(chmod(path, mode), 0);
}

static void write_ini(const char *rel, const char *text) {
  write_file(rel, 0644, text);
}

// make_pki creates stand-ins for the certificate files rules name. The
// loader checks existence, readability and key modes, not contents.
static void make_pki(void) {
  write_file("ca.pem", 0644, "ca\n");
  write_file("clients-ca.pem", 0644, "clients ca\n");
  write_file("server.pem", 0644, "server chain\n");
  write_file("server.key", 0600, "server key\n");
  write_file("client.pem", 0644, "client chain\n");
  write_file("client.key", 0600, "client key\n");
}

static struct ts_config *load_path(const char *path) {
  struct ts_config *config = (struct ts_config *)0x1;
  memset(err, 'x', sizeof(err));
  int ok = ts_config_load(path, &config, err, sizeof(err));
  cr_assert_eq(ok, config != NULL, "result and config disagree");
  cr_assert(memchr(err, '\0', sizeof(err)) != NULL, "err not terminated");
  return config;
}

static struct ts_config *load_ok(const char *rel) {
  struct ts_config *config = load_path(at(rel));
  cr_assert_not_null(config, "load failed: %s", err);
  cr_assert_str_empty(err);
  return config;
}

// load_text writes |text| as app.ini (with the stand-in PKI beside it) and
// loads it.
static struct ts_config *load_text(const char *text) {
  make_pki();
  write_ini("app.ini", text);
  return load_path(at("app.ini"));
}

static struct ts_config *load_text_ok(const char *text) {
  struct ts_config *config = load_text(text);
  cr_assert_not_null(config, "load failed: %s", err);
  return config;
}

// expect_error_at checks the whole message: |want| is "REL:LINE: message"
// with REL relative to the test directory.
static void expect_error_at(const char *want) {
  char full[PATH_MAX + 1024];
  format_text(full, sizeof(full), "%s/%s", root, want);
  cr_assert_str_eq(err, full);
}

// fails_with loads |text| as app.ini and expects exactly |want|.
static void fails_with(const char *text, const char *want) {
  struct ts_config *config = load_text(text);
  cr_assert_null(config, "loaded, but expected: %s", want);
  expect_error_at(want);
}

// fails_containing loads |text| and expects |part| in the message.
static void fails_containing(const char *text, const char *part) {
  struct ts_config *config = load_text(text);
  cr_assert_null(config, "loaded, but expected an error with: %s", part);
  cr_assert(strstr(err, part) != NULL, "error '%s' lacks '%s'", err, part);
}

static const char *fixtures(const char *rel) {
  static char out[PATH_MAX];
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  cr_assert_gt(len, 0);
  exe[len] = '\0';
  // build/tests/test_config -> the repository root
  for (int i = 0; i < 3; i++) {
    *strrchr(exe, '/') = '\0';
  }
  format_text(out, sizeof(out), "%s/tests/unit/fixtures/config/%s", exe, rel);
  return out;
}

static void addr_of(const char *ip, int *family, uint8_t addr[16]) {
  memset(addr, 0, 16);
  *family = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
  cr_assert_eq(inet_pton(*family, ip, addr), 1, "bad test address %s", ip);
}

// client_rule_for returns the name of the rule covering |ip|:|port| resolved
// from |name|, or "(none)".
static const char *client_rule_for(const struct ts_config *config,
                                   const char *ip, uint16_t port,
                                   const char *name) {
  int family;
  uint8_t addr[16];
  addr_of(ip, &family, addr);
  const struct ts_rule *rule =
      ts_config_find_client_rule(config, family, addr, port, name);
  return rule != NULL ? rule->name : "(none)";
}

// ------------------------------------------------------------ happy paths

Test(config, loads_minimal_client_rule_with_defaults) {
  struct ts_config *config = load_text_ok(
      "[client:db]\n"
      "port = 5432\n"
      "ca_file = ca.pem\n");
  cr_assert_eq(config->num_rules, 1);
  cr_assert_eq(config->log_level, TS_LOG_WARN);
  cr_assert_null(config->log_file);
  const struct ts_rule *rule = &config->rules[0];
  cr_assert_str_eq(rule->name, "db");
  cr_assert_eq(rule->role, TS_ROLE_CLIENT);
  cr_assert_eq(rule->num_ports, 1);
  cr_assert_eq(rule->ports[0], 5432);
  cr_assert_eq(rule->host.kind, TS_HOST_ANY);
  cr_assert_str_eq(rule->ca_file, at("ca.pem"));
  cr_assert_null(rule->server_name);
  cr_assert_null(rule->cert);
  cr_assert_null(rule->key);
  cr_assert_null(rule->client_ca);
  cr_assert_null(rule->allow_names);
  cr_assert_eq(rule->num_allow_names, 0);
  cr_assert_eq(rule->min_version, 0x0303);
  cr_assert_eq(rule->resumption, 1);
  cr_assert_str_eq(rule->source_file, at("app.ini"));
  cr_assert_eq(rule->source_line, 1);
  cr_assert_eq(rule->index, 0);
  ts_config_free(config);
}

Test(config, client_rule_with_every_key) {
  struct ts_config *config = load_text_ok(
      "[client:db]\n"
      "port = 5432, 6432\n"
      "host = 10.0.0.0/8\n"
      "ca_file = ca.pem\n"
      "server_name = DB.Internal\n"
      "cert = client.pem\n"
      "key = client.key\n"
      "min_version = 1.3\n"
      "resumption = no\n");
  const struct ts_rule *rule = &config->rules[0];
  cr_assert_eq(rule->num_ports, 2);
  cr_assert_eq(rule->ports[1], 6432);
  cr_assert_eq(rule->host.kind, TS_HOST_CIDR);
  cr_assert_eq(rule->host.family, AF_INET);
  cr_assert_eq(rule->host.prefix_len, 8);
  cr_assert_eq(rule->host.addr[0], 10);
  cr_assert_str_eq(rule->server_name, "db.internal");
  cr_assert_str_eq(rule->cert, at("client.pem"));
  cr_assert_str_eq(rule->key, at("client.key"));
  cr_assert_eq(rule->min_version, 0x0304);
  cr_assert_eq(rule->resumption, 0);
  ts_config_free(config);
}

Test(config, server_rule_with_every_key) {
  struct ts_config *config = load_text_ok(
      "[server:web]\n"
      "port = 8443\n"
      "cert = server.pem\n"
      "key = server.key\n"
      "client_ca = clients-ca.pem\n"
      "allow_names = billing.internal , *.jobs.internal, 10.0.0.7, fd00::7,"
      " spiffe://prod.example/ns/a/sa/b\n"
      "min_version = 1.3\n"
      "resumption = Off\n");
  const struct ts_rule *rule = &config->rules[0];
  cr_assert_eq(rule->role, TS_ROLE_SERVER);
  cr_assert_eq(rule->host.kind, TS_HOST_ANY);
  cr_assert_null(rule->ca_file);
  cr_assert_str_eq(rule->cert, at("server.pem"));
  cr_assert_str_eq(rule->key, at("server.key"));
  cr_assert_str_eq(rule->client_ca, at("clients-ca.pem"));
  cr_assert_eq(rule->num_allow_names, 5);
  cr_assert_str_eq(rule->allow_names[0], "billing.internal");
  cr_assert_str_eq(rule->allow_names[1], "*.jobs.internal");
  cr_assert_str_eq(rule->allow_names[2], "10.0.0.7");
  cr_assert_str_eq(rule->allow_names[3], "fd00::7");
  cr_assert_str_eq(rule->allow_names[4], "spiffe://prod.example/ns/a/sa/b");
  cr_assert_eq(rule->min_version, 0x0304);
  cr_assert_eq(rule->resumption, 0);
  ts_config_free(config);
}

Test(config, server_rule_without_client_ca_requests_no_certificates) {
  struct ts_config *config = load_text_ok(
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n");
  cr_assert_null(config->rules[0].client_ca);
  cr_assert_eq(config->rules[0].min_version, 0x0303);
  ts_config_free(config);
}

Test(config, global_keys) {
  mkdir(at("logs"), 0755);
  struct ts_config *config = load_text_ok(
      "[global]\n"
      "log_level = DEBUG\n"
      "log_file = logs/tlsshim.log\n"
      "[client:db]\nport = 1\nca_file = ca.pem\n");
  cr_assert_eq(config->log_level, TS_LOG_DEBUG);
  cr_assert_str_eq(config->log_file, at("logs/tlsshim.log"));
  ts_config_free(config);
}

Test(config, every_log_level_word) {
  const char *words[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++) {
    char text[256];
    format_text(text, sizeof(text),
                "[global]\nlog_level = %s\n[client:a]\nport = 1\n"
                "ca_file = ca.pem\n",
                words[i]);
    struct ts_config *config = load_text_ok(text);
    cr_assert_eq((int)config->log_level, i, "%s", words[i]);
    ts_config_free(config);
  }
}

Test(config, port_list_allows_whitespace_and_the_range_ends) {
  struct ts_config *config =
      load_text_ok("[client:a]\nport =  1 ,65535,\t443  \nca_file = ca.pem\n");
  const struct ts_rule *rule = &config->rules[0];
  cr_assert_eq(rule->num_ports, 3);
  cr_assert_eq(rule->ports[0], 1);
  cr_assert_eq(rule->ports[1], 65535);
  cr_assert_eq(rule->ports[2], 443);
  ts_config_free(config);
}

Test(config, thirty_two_ports_are_allowed) {
  char text[512] = "[client:a]\nca_file = ca.pem\nport = 1";
  for (int port = 2; port <= TS_MAX_PORTS; port++) {
    char item[16];
    format_text(item, sizeof(item), ",%d", port);
    strcat(text, item);
  }
  strcat(text, "\n");
  struct ts_config *config = load_text_ok(text);
  cr_assert_eq(config->rules[0].num_ports, TS_MAX_PORTS);
  cr_assert_eq(config->rules[0].ports[TS_MAX_PORTS - 1], TS_MAX_PORTS);
  ts_config_free(config);
}

Test(config, host_address_literals_become_full_prefixes) {
  struct ts_config *config = load_text_ok(
      "[client:v4]\nport = 1\nca_file = ca.pem\nhost = 192.0.2.7\n"
      "[client:v6]\nport = 1\nca_file = ca.pem\nhost = 2001:db8::7\n");
  const struct ts_host_match *v4 = &config->rules[0].host;
  const struct ts_host_match *v6 = &config->rules[1].host;
  cr_assert_eq(v4->kind, TS_HOST_CIDR);
  cr_assert_eq(v4->family, AF_INET);
  cr_assert_eq(v4->prefix_len, 32);
  uint8_t want4[16] = {192, 0, 2, 7};
  cr_assert_arr_eq(v4->addr, want4, 16);
  cr_assert_eq(v6->family, AF_INET6);
  cr_assert_eq(v6->prefix_len, 128);
  cr_assert_eq(v6->addr[0], 0x20);
  cr_assert_eq(v6->addr[15], 7);
  ts_config_free(config);
}

Test(config, host_cidr_blocks_of_both_families) {
  struct ts_config *config = load_text_ok(
      "[client:v4]\nport = 1\nca_file = ca.pem\nhost = 172.16.0.0/12\n"
      "[client:v6]\nport = 1\nca_file = ca.pem\nhost = fd00::/8\n"
      "[client:all4]\nport = 1\nca_file = ca.pem\nhost = 0.0.0.0/0\n");
  cr_assert_eq(config->rules[0].host.prefix_len, 12);
  cr_assert_eq(config->rules[1].host.family, AF_INET6);
  cr_assert_eq(config->rules[1].host.prefix_len, 8);
  cr_assert_eq(config->rules[1].host.addr[0], 0xfd);
  cr_assert_eq(config->rules[2].host.prefix_len, 0);
  ts_config_free(config);
}

Test(config, host_ipv4_mapped_address_is_stored_as_ipv4) {
  struct ts_config *config = load_text_ok(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = ::ffff:10.1.2.0/120\n");
  const struct ts_host_match *host = &config->rules[0].host;
  cr_assert_eq(host->family, AF_INET);
  cr_assert_eq(host->prefix_len, 24);
  uint8_t want[16] = {10, 1, 2, 0};
  cr_assert_arr_eq(host->addr, want, 16);
  ts_config_free(config);
}

Test(config, host_name_is_lower_cased_without_trailing_dot) {
  struct ts_config *config = load_text_ok(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = DB-1.Example.COM.\n");
  cr_assert_eq(config->rules[0].host.kind, TS_HOST_NAME);
  cr_assert_str_eq(config->rules[0].host.name, "db-1.example.com");
  ts_config_free(config);
}

Test(config, server_name_ip_literal_is_kept) {
  struct ts_config *config = load_text_ok(
      "[client:a]\nport = 1\nca_file = ca.pem\nserver_name = 2001:db8::1\n");
  cr_assert_str_eq(config->rules[0].server_name, "2001:db8::1");
  ts_config_free(config);
}

Test(config, client_without_ca_file_uses_the_system_trust_store) {
  if (access(TS_DEFAULT_CA_FILE, R_OK) != 0) {
    cr_skip_test("%s is not installed", TS_DEFAULT_CA_FILE);
  }
  struct ts_config *config = load_text_ok("[client:a]\nport = 443\n");
  cr_assert_str_eq(config->rules[0].ca_file, TS_DEFAULT_CA_FILE);
  ts_config_free(config);
}

Test(config, relative_paths_resolve_against_the_file_directory) {
  write_file("etc/certs/ca.pem", 0644, "ca\n");
  write_file("etc/conf/local.pem", 0644, "ca\n");
  write_file("elsewhere.pem", 0644, "ca\n");
  char text[PATH_MAX + 256];
  format_text(text, sizeof(text),
              "[client:a]\nport = 1\nca_file = ../certs/ca.pem\n"
              "[client:b]\nport = 2\nca_file = ./local.pem\n"
              "[client:c]\nport = 3\nca_file = %s\n",
              at("elsewhere.pem"));
  write_ini("etc/conf/app.ini", text);
  // Loaded from another working directory, the paths must not change.
  cr_assert_eq(chdir("/"), 0);
  struct ts_config *config = load_ok("etc/conf/app.ini");
  cr_assert_str_eq(config->rules[0].ca_file, at("etc/conf/../certs/ca.pem"));
  cr_assert_str_eq(config->rules[1].ca_file, at("etc/conf/local.pem"));
  cr_assert_str_eq(config->rules[2].ca_file, at("elsewhere.pem"));
  cr_assert_str_eq(config->rules[0].source_file, at("etc/conf/app.ini"));
  ts_config_free(config);
}

Test(config, comments_indentation_and_separators) {
  struct ts_config *config = load_path(fixtures("comments.ini"));
  cr_assert_not_null(config, "%s", err);
  cr_assert_eq(config->log_level, TS_LOG_INFO);
  const struct ts_rule *rule = &config->rules[0];
  cr_assert_eq(rule->source_line, 7);
  cr_assert_eq(rule->num_ports, 2);
  cr_assert_eq(rule->ports[1], 5433);
  cr_assert_str_eq(rule->server_name, "db.internal");
  cr_assert_eq(rule->host.kind, TS_HOST_NAME);  // "key: value" also parses
  cr_assert_str_eq(rule->host.name, "db.example.com");
  ts_config_free(config);
}

Test(config, glued_comment_characters_are_part_of_the_value) {
  struct ts_config *config = load_text_ok(
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
      "client_ca = clients-ca.pem\n"
      "allow_names = spiffe://td/a;b, spiffe://td/c#d ; a real comment\n");
  cr_assert_eq(config->rules[0].num_allow_names, 2);
  cr_assert_str_eq(config->rules[0].allow_names[0], "spiffe://td/a;b");
  cr_assert_str_eq(config->rules[0].allow_names[1], "spiffe://td/c#d");
  ts_config_free(config);
}

Test(config, indented_line_is_not_a_continuation) {
  // With inih's multi-line values this second line would extend `port`.
  fails_with("[client:db]\nport = 5432\n    5433\n",
             "app.ini:3: expected 'key = value' or a [section] header, found "
             "'5433'");
}

Test(config, crlf_line_endings_and_byte_order_mark) {
  struct ts_config *config = load_text_ok(
      "\xEF\xBB\xBF[client:db]\r\nport = 5432\r\nca_file = ca.pem\r\n");
  cr_assert_eq(config->rules[0].ports[0], 5432);
  cr_assert_str_eq(config->rules[0].ca_file, at("ca.pem"));
  ts_config_free(config);
}

Test(config, rule_name_may_use_every_allowed_character) {
  struct ts_config *config = load_text_ok(
      "[client:A-z_0.9]\nport = 1\nca_file = ca.pem\n"
      "[client:abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123]"
      "\nport = 2\nca_file = ca.pem\n");
  cr_assert_str_eq(config->rules[0].name, "A-z_0.9");
  cr_assert_eq(strlen(config->rules[1].name), 63);
  ts_config_free(config);
}

// ------------------------------------------------------- sections and keys

Test(config, rejects_unknown_key) {
  fails_with("[client:db]\nprot = 5432\n",
             "app.ini:2: unknown key 'prot' in section [client:db]");
}

Test(config, rejects_unknown_key_in_global) {
  fails_with("[global]\nverbose = 1\n",
             "app.ini:2: unknown key 'verbose' in section [global]");
}

Test(config, rejects_unknown_section) {
  fails_with("[clients:db]\nport = 1\n",
             "app.ini:1: unknown section [clients:db] (expected [global], "
             "[client:NAME] or [server:NAME])");
  fails_containing("[tls]\n", "app.ini:1: unknown section [tls]");
  fails_containing("[global:x]\n", "app.ini:1: unknown section [global:x]");
  fails_containing("[]\n", "app.ini:1: unknown section []");
}

Test(config, rejects_invalid_rule_names) {
  fails_with("[client:bad name]\nport = 1\n",
             "app.ini:1: rule name 'bad name' in [client:bad name] is not "
             "valid (1-63 letters, digits, '_', '.' or '-')");
  fails_containing("[server:]\n", "rule name '' in [server:] is not valid");
  fails_containing("[client:db/1]\n", "rule name 'db/1'");
  fails_containing(
      "[client:"
      "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234]"
      "\n",
      "is not valid");
}

Test(config, rejects_key_outside_any_section) {
  fails_with("port = 5432\n[client:db]\nport = 5432\n",
             "app.ini:1: key 'port' is outside any section (put it under "
             "[global], [client:NAME] or [server:NAME])");
}

Test(config, rejects_duplicate_key_in_section) {
  fails_with("[client:db]\nport = 5432\nca_file = ca.pem\nport = 5433\n",
             "app.ini:4: key 'port' is set twice in [client:db] (first at "
             "line 2)");
}

Test(config, rejects_empty_value) {
  fails_with("[client:db]\nport = 1\nhost =\n",
             "app.ini:3: key 'host' has no value in [client:db]");
}

Test(config, rejects_line_without_key_name) {
  fails_with("[client:db]\n= 5432\n", "app.ini:2: no key name before '='");
}

Test(config, rejects_duplicate_rule_name_in_one_file) {
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "app.ini:4: rule [client:db] is already defined at %s:1",
              at("app.ini"));
  fails_with("[client:db]\nport = 1\nca_file = ca.pem\n[client:db]\nport = 2\n",
             want);
}

Test(config, same_name_for_a_client_and_a_server_rule_is_allowed) {
  struct ts_config *config = load_text_ok(
      "[client:redis]\nport = 6379\nca_file = ca.pem\n"
      "[server:redis]\nport = 6380\ncert = server.pem\nkey = server.key\n");
  cr_assert_eq(config->num_rules, 2);
  ts_config_free(config);
}

Test(config, rejects_global_keys_in_rules_and_rule_keys_in_global) {
  fails_with("[client:db]\nport = 1\nlog_level = info\n",
             "app.ini:3: key 'log_level' is not valid in section [client:db] "
             "(it belongs in [global])");
  fails_with("[global]\nport = 1\n",
             "app.ini:2: key 'port' is not valid in section [global] (it "
             "belongs in a [client:NAME] or [server:NAME] section)");
}

Test(config, rejects_client_keys_in_server_rules) {
  const char *keys[] = {"host = 10.0.0.1", "server_name = a.example",
                        "ca_file = ca.pem"};
  for (int i = 0; i < 3; i++) {
    char text[256];
    format_text(
        text, sizeof(text),
        "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
        "%s\n",
        keys[i]);
    fails_containing(text, "app.ini:5: key '");
    cr_assert(strstr(err,
                     "is not valid in section [server:web] (it is valid "
                     "in [client:NAME] sections only)") != NULL,
              "%s", err);
  }
}

Test(config, rejects_server_keys_in_client_rules) {
  fails_with("[client:db]\nport = 1\nclient_ca = ca.pem\n",
             "app.ini:3: key 'client_ca' is not valid in section [client:db] "
             "(it is valid in [server:NAME] sections only)");
  fails_containing("[client:db]\nport = 1\nallow_names = a.example\n",
                   "app.ini:3: key 'allow_names' is not valid in section "
                   "[client:db]");
}

Test(config, rejects_global_key_set_twice) {
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "app.ini:4: key 'log_level' in [global] is already set at %s:2",
              at("app.ini"));
  fails_with("[global]\nlog_level = info\n[global]\nlog_level = debug\n", want);
}

// ------------------------------------------------------------------ ports

Test(config, rejects_missing_port_at_the_section_header) {
  fails_with(
      "; the rule below has no port\n\n[client:db]\nca_file = ca.pem\n"
      "\n[client:other]\nport = 1\nca_file = ca.pem\n",
      "app.ini:3: missing required key 'port' in [client:db]");
  // The last section of a file is checked at the end of the file.
  fails_with("[client:a]\nport = 1\nca_file = ca.pem\n[server:b]\n",
             "app.ini:4: missing required key 'port' in [server:b]");
}

Test(config, rejects_bad_ports) {
  fails_with("[client:db]\nport = 70000\n",
             "app.ini:2: port '70000' is out of range (1-65535) in "
             "[client:db]");
  fails_with("[client:db]\nport = 0\n",
             "app.ini:2: port '0' is out of range (1-65535) in [client:db]");
  fails_with("[client:db]\nport = 99999999999999999999\n",
             "app.ini:2: port '99999999999999999999' is out of range "
             "(1-65535) in [client:db]");
  fails_with("[client:db]\nport = 443, https\n",
             "app.ini:2: port 'https' is not a number in [client:db]");
  fails_containing("[client:db]\nport = -1\n", "port '-1' is not a number");
  fails_containing("[client:db]\nport = +80\n", "port '+80' is not a number");
  fails_containing("[client:db]\nport = 0x50\n", "port '0x50' is not a number");
  fails_containing("[client:db]\nport = 80 81\n",
                   "port '80 81' is not a number");
  fails_containing("[client:db]\nport = 8000-8010\n", "is not a number");
}

Test(config, rejects_empty_port_list_entries) {
  fails_with("[client:db]\nport = 80,,81\n",
             "app.ini:2: port list has an empty entry in [client:db]");
  fails_containing("[client:db]\nport = 80,\n", "port list has an empty entry");
  fails_containing("[client:db]\nport = ,80\n", "port list has an empty entry");
}

Test(config, rejects_duplicate_port) {
  fails_with("[client:db]\nport = 443, 8443, 443\n",
             "app.ini:2: port 443 is listed twice in [client:db]");
}

Test(config, rejects_too_many_ports) {
  char text[512] = "[client:a]\nport = 1";
  for (int port = 2; port <= TS_MAX_PORTS + 1; port++) {
    char item[16];
    format_text(item, sizeof(item), ",%d", port);
    strcat(text, item);
  }
  strcat(text, "\n");
  fails_with(text,
             "app.ini:2: too many ports (at most 32 per rule) in [client:a]");
}

// ------------------------------------------------------------------ hosts

Test(config, rejects_bad_hosts) {
  const char *bad[] = {
      "10.0.0",
      "10.0.0.256",
      "-db.example",
      "db-.example",
      "a..b",
      "under_score.com",
      "*.example.com",
      "[::1]",
      "fe80::1%eth0",
      "10.0.0.0/33",
      "fd00::/129",
      "10.0.0.0/",
      "10.0.0.0/8/8",
      "10.0.0.0/-1",
      "db.example/8",
      "1.2.3.4:80",
      "d\xc3\xa9.example",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char text[256];
    format_text(text, sizeof(text), "[client:db]\nport = 1\nhost = %s\n",
                bad[i]);
    fails_containing(text, "app.ini:3: host '");
    cr_assert(strstr(err, bad[i]) != NULL, "%s", err);
  }
  fails_with("[client:db]\nport = 1\nhost = 10.0.0\n",
             "app.ini:3: host '10.0.0' is not an IP address, a CIDR block or "
             "a host name in [client:db]");
  fails_with("[client:db]\nport = 1\nhost = 10.0.0.0/33\n",
             "app.ini:3: host '10.0.0.0/33' is not a valid CIDR block in "
             "[client:db]");
}

Test(config, rejects_overlong_host_names) {
  char label[70];
  memset(label, 'a', 64);
  label[64] = '\0';
  char text[512];
  format_text(text, sizeof(text), "[client:db]\nport = 1\nhost = %s.example\n",
              label);
  fails_containing(text, "is not an IP address, a CIDR block or a host name");
}

Test(config, rejects_cidr_with_host_bits) {
  fails_with("[client:db]\nport = 1\nhost = 10.1.2.3/8\n",
             "app.ini:3: host '10.1.2.3/8' has bits set after the /8 prefix "
             "(the network is 10.0.0.0/8) in [client:db]");
  fails_containing("[client:db]\nport = 1\nhost = fd00::1/64\n",
                   "(the network is fd00::/64)");
}

Test(config, rejects_bad_server_names) {
  fails_with("[client:db]\nport = 1\nserver_name = db internal\n",
             "app.ini:3: server_name 'db internal' is not a DNS name or an IP "
             "address in [client:db]");
  fails_containing("[client:db]\nport = 1\nserver_name = *.example.com\n",
                   "server_name '*.example.com'");
}

// ------------------------------------------------------ versions and keys

Test(config, rejects_bad_min_version) {
  fails_with("[client:db]\nport = 1\nmin_version = 1.1\n",
             "app.ini:3: min_version '1.1' is not supported (use 1.2 or 1.3) "
             "in [client:db]");
  fails_containing("[client:db]\nport = 1\nmin_version = TLS1.2\n",
                   "min_version 'TLS1.2' is not supported");
  fails_containing("[client:db]\nport = 1\nmin_version = 1.4\n",
                   "min_version '1.4' is not supported");
}

Test(config, resumption_takes_yes_or_no) {
  struct ts_config *config = load_text_ok(
      "[client:a]\nport = 1\nca_file = ca.pem\nresumption = YES\n"
      "[client:b]\nport = 2\nca_file = ca.pem\nresumption = false\n");
  cr_assert_eq(config->rules[0].resumption, 1);
  cr_assert_eq(config->rules[1].resumption, 0);
  ts_config_free(config);
  fails_with("[client:db]\nport = 1\nresumption = sometimes\n",
             "app.ini:3: resumption 'sometimes' is not yes or no in "
             "[client:db]");
  fails_containing("[client:db]\nport = 1\nresumption = yes\nresumption = no\n",
                   "key 'resumption' is set twice in [client:db]");
}

Test(config, rejects_bad_log_level) {
  fails_with("[global]\nlog_level = verbose\n",
             "app.ini:2: log_level 'verbose' is not one of error, warn, info, "
             "debug in [global]");
}

Test(config, rejects_client_cert_without_key_and_key_without_cert) {
  fails_with("[client:db]\nport = 1\nca_file = ca.pem\ncert = client.pem\n",
             "app.ini:4: key 'cert' is set without 'key' in [client:db] (set "
             "both or neither)");
  fails_with("[client:db]\nport = 1\nkey = client.key\nca_file = ca.pem\n",
             "app.ini:3: key 'key' is set without 'cert' in [client:db] (set "
             "both or neither)");
}

Test(config, rejects_server_without_cert_or_key) {
  fails_with("[server:web]\nport = 443\nkey = server.key\n",
             "app.ini:1: missing required key 'cert' in [server:web]");
  fails_with("[server:web]\nport = 443\ncert = server.pem\n",
             "app.ini:1: missing required key 'key' in [server:web]");
}

// ------------------------------------------------------------------ files

Test(config, rejects_missing_file_naming_key_path_and_reason) {
  char want[PATH_MAX * 2];
  format_text(
      want, sizeof(want),
      "app.ini:3: cannot read ca_file %s in [client:db]: No such file or "
      "directory",
      at("missing/ca.pem"));
  fails_with("[client:db]\nport = 1\nca_file = missing/ca.pem\n", want);
}

Test(config, rejects_missing_files_for_every_file_key) {
  fails_containing(
      "[server:web]\nport = 1\ncert = nope.pem\nkey = server.key\n",
      "app.ini:3: cannot read cert ");
  fails_containing(
      "[server:web]\nport = 1\ncert = server.pem\nkey = nope.key\n",
      "app.ini:4: cannot read key ");
  fails_containing(
      "[server:web]\nport = 1\ncert = server.pem\nkey = server.key\n"
      "client_ca = nope.pem\n",
      "app.ini:5: cannot read client_ca ");
  cr_assert(strstr(err, "nope.pem in [server:web]: No such file or directory"),
            "%s", err);
}

Test(config, rejects_directory_and_dangling_link_as_files) {
  mkdir(at("certs"), 0755);
  char want[PATH_MAX * 2];
  format_text(
      want, sizeof(want),
      "app.ini:3: cannot read ca_file %s in [client:db]: Is a directory",
      at("certs"));
  fails_with("[client:db]\nport = 1\nca_file = certs\n", want);
  cr_assert_eq(symlink(at("gone.pem"), at("link.pem")), 0);
  fails_containing("[client:db]\nport = 1\nca_file = link.pem\n",
                   "link.pem in [client:db]: No such file or directory");
}

Test(config, rejects_unreadable_file) {
  make_pki();
  write_ini("app.ini", "[client:db]\nport = 1\nca_file = ca.pem\n");
  cr_assert_eq(chmod(at("ca.pem"), 0), 0);
  cr_assert_eq(chmod(root, 0755), 0);
  // Root may read a file of mode 000, so as root the load runs as nobody.
  int as_root = geteuid() == 0;
  if (as_root) {
    cr_assert_eq(seteuid(65534), 0);
  }
  struct ts_config *config = NULL;
  int ok = ts_config_load(at("app.ini"), &config, err, sizeof(err));
  if (as_root) {
    cr_assert_eq(seteuid(0), 0);
  }
  cr_assert_not(ok);
  cr_assert(strstr(err, "ca.pem in [client:db]: Permission denied"), "%s", err);
}

Test(config, rejects_private_key_readable_by_others) {
  make_pki();
  cr_assert_eq(chmod(at("server.key"), 0644), 0);
  write_ini("app.ini",
            "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n");
  cr_assert_null(load_path(at("app.ini")));
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "app.ini:4: key file %s in [server:web] is accessible by others "
              "(mode 0644); run chmod 600 on it",
              at("server.key"));
  expect_error_at(want);
}

Test(config, private_key_modes) {
  const struct {
    mode_t mode;
    int ok;
  } cases[] = {{0600, 1}, {0400, 1}, {0700, 1}, {0610, 1}, {0640, 0},
               {0620, 0}, {0604, 0}, {0602, 0}, {0666, 0}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    make_pki();
    cr_assert_eq(chmod(at("client.key"), cases[i].mode), 0);
    write_ini("app.ini",
              "[client:db]\nport = 1\nca_file = ca.pem\ncert = client.pem\n"
              "key = client.key\n");
    struct ts_config *config = load_path(at("app.ini"));
    cr_assert_eq(config != NULL, cases[i].ok, "mode %04o: %s",
                 (unsigned)cases[i].mode, err);
    if (!cases[i].ok) {
      cr_assert(strstr(err, "is accessible by others"), "%s", err);
    }
    ts_config_free(config);
  }
}

Test(config, log_file_directory_must_exist) {
  char want[PATH_MAX * 3];
  format_text(
      want, sizeof(want),
      "app.ini:2: cannot write log_file %s in [global]: directory %s: No "
      "such file or directory",
      at("nodir/t.log"), at("nodir"));
  fails_with("[global]\nlog_file = nodir/t.log\n[client:a]\nport = 1\n", want);
  mkdir(at("t.log"), 0755);
  fails_containing("[global]\nlog_file = t.log\n",
                   "t.log in [global]: Is a "
                   "directory");
}

// --------------------------------------------------------------- overlaps

Test(config, rejects_server_rules_sharing_a_port) {
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "app.ini:5: port 8443 of [server:b] is already served by "
              "[server:a] at %s:1",
              at("app.ini"));
  fails_with(
      "[server:a]\nport = 443, 8443\ncert = server.pem\nkey = server.key\n"
      "[server:b]\nport = 9443,8443\ncert = server.pem\nkey = server.key\n",
      want);
}

Test(config, rejects_client_rules_without_host_on_a_shared_port) {
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "app.ini:4: port 5432 of [client:b] overlaps [client:a] at %s:1: "
              "both match any host (give one a different port or host)",
              at("app.ini"));
  fails_with(
      "[client:a]\nport = 5432\nca_file = ca.pem\n"
      "[client:b]\nport = 1, 5432\nca_file = ca.pem\n",
      want);
}

Test(config, rejects_client_rules_with_the_same_host) {
  fails_containing(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = db.example\n"
      "[client:b]\nport = 1\nca_file = ca.pem\nhost = DB.example.\n",
      "both match host db.example");
  fails_containing(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = 10.0.0.0/8\n"
      "[client:b]\nport = 1\nca_file = ca.pem\nhost = 10.0.0.0/8\n",
      "both match host 10.0.0.0/8");
  fails_containing(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = 10.0.0.1\n"
      "[client:b]\nport = 1\nca_file = ca.pem\nhost = ::ffff:10.0.0.1\n",
      "both match host 10.0.0.1/32");
  fails_containing(
      "[client:a]\nport = 1\nca_file = ca.pem\nhost = fd00::/8\n"
      "[client:b]\nport = 1\nca_file = ca.pem\nhost = fd00::/8\n",
      "both match host fd00::/8");
}

Test(config, accepts_client_rules_of_different_specificity) {
  struct ts_config *config = load_text_ok(
      "[client:any]\nport = 1\nca_file = ca.pem\n"
      "[client:ten]\nport = 1\nca_file = ca.pem\nhost = 10.0.0.0/8\n"
      "[client:ten-one]\nport = 1\nca_file = ca.pem\nhost = 10.1.0.0/16\n"
      "[client:other16]\nport = 1\nca_file = ca.pem\nhost = 10.2.0.0/16\n"
      "[client:one]\nport = 1\nca_file = ca.pem\nhost = 10.1.2.3\n"
      "[client:v6]\nport = 1\nca_file = ca.pem\nhost = ::/8\n"
      "[client:name]\nport = 1\nca_file = ca.pem\nhost = db.example\n"
      "[client:name2]\nport = 1\nca_file = ca.pem\nhost = db2.example\n"
      "[client:same-any-other-port]\nport = 2\nca_file = ca.pem\n"
      "[server:srv]\nport = 1\ncert = server.pem\nkey = server.key\n");
  cr_assert_eq(config->num_rules, 10);
  ts_config_free(config);
}

// ------------------------------------------------------------ allow_names

Test(config, rejects_bad_allow_names) {
  const char *head =
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
      "client_ca = clients-ca.pem\nallow_names = ";
  const char *bad[] = {"a b",       "*.com", "**.example.com", "x.*.example",
                       "spiffe:/x", "://x",  "spiffe://",      "db_1.example"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char text[512];
    format_text(text, sizeof(text), "%s%s\n", head, bad[i]);
    fails_containing(text, "app.ini:6: allow_names entry '");
    cr_assert(strstr(err,
                     "is not a DNS name, a *.wildcard name, an IP address "
                     "or a URI (scheme://...)") != NULL,
              "%s", err);
  }
  char text[512];
  format_text(text, sizeof(text), "%sa.example,,b.example\n", head);
  fails_containing(text,
                   "app.ini:6: allow_names has an empty entry in "
                   "[server:web]");
  format_text(text, sizeof(text), "%sa.example, a.example\n", head);
  fails_containing(text, "app.ini:6: allow_names lists 'a.example' twice");
}

Test(config, rejects_allow_names_without_client_ca) {
  fails_with(
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
      "allow_names = a.example\n",
      "app.ini:5: key 'allow_names' needs 'client_ca' in [server:web] "
      "(client certificates carry the names it allows)");
}

// ----------------------------------------------------------- syntax errors

Test(config, reports_syntax_error_with_its_line) {
  cr_assert_null(load_path(fixtures("syntax_error.ini")));
  char want[PATH_MAX + 256];
  format_text(want, sizeof(want),
              "%s:4: expected 'key = value' or a [section] header, found 'this "
              "line has no equals sign'",
              fixtures("syntax_error.ini"));
  cr_assert_str_eq(err, want);
}

Test(config, reports_unclosed_section_header) {
  cr_assert_null(load_path(fixtures("unclosed_header.ini")));
  char want[PATH_MAX + 256];
  format_text(want, sizeof(want),
              "%s:2: section header '[client:db' has no closing ']'",
              fixtures("unclosed_header.ini"));
  cr_assert_str_eq(err, want);
}

Test(config, rejects_text_after_section_header) {
  fails_with("[client:db] port = 1\n",
             "app.ini:1: unexpected text after the section header "
             "'[client:db] port = 1'");
}

Test(config, rejects_line_too_long_for_the_parser) {
  char text[1024] = "[client:db]\nport = 1\nserver_name = ";
  size_t len = strlen(text);
  memset(text + len, 'a', 300);
  strcpy(text + len + 300, ".example\n");
  fails_containing(text, "app.ini:3: line is too long (at most 199 characters");
}

Test(config, rejects_nul_byte) {
  make_pki();
  const char text[] = "[client:db]\nport = 1\0 2\n";
  FILE *f = fopen(at("app.ini"), "w");
  cr_assert_not_null(f);
  fwrite(text, 1, sizeof(text) - 1, f);
  fclose(f);
  cr_assert_null(load_path(at("app.ini")));
  expect_error_at("app.ini:2: line contains a NUL byte");
}

Test(config, first_error_in_a_file_wins) {
  fails_with("[client:db]\nprot = 1\nthis is not valid\n[foo]\n",
             "app.ini:2: unknown key 'prot' in section [client:db]");
  fails_with("[client:db]\nthis is not valid\nprot = 1\n",
             "app.ini:2: expected 'key = value' or a [section] header, found "
             "'this is not valid'");
}

// -------------------------------------------------- files and directories

Test(config, rejects_missing_path) {
  cr_assert_null(load_path(at("nothing-here.ini")));
  char want[PATH_MAX + 64];
  format_text(want, sizeof(want), "%s: cannot read: No such file or directory",
              at("nothing-here.ini"));
  cr_assert_str_eq(err, want);
  cr_assert_null(load_path(""));
  cr_assert_str_eq(err, "tlsshim: no configuration path given");
  cr_assert_null(load_path(NULL));
}

Test(config, rejects_config_without_rules) {
  cr_assert_null(load_path(fixtures("no_rules.ini")));
  char want[PATH_MAX + 64];
  format_text(want, sizeof(want), "%s: no [client:...] or [server:...] rules",
              fixtures("no_rules.ini"));
  cr_assert_str_eq(err, want);
  write_ini("empty.ini", "");
  cr_assert_null(load_path(at("empty.ini")));
  cr_assert(strstr(err, "empty.ini: no [client:...] or [server:...] rules"),
            "%s", err);
}

Test(config, rejects_directory_without_ini_files) {
  mkdir(at("conf.d"), 0755);
  cr_assert_null(load_path(at("conf.d")));
  char want[PATH_MAX + 64];
  format_text(want, sizeof(want), "%s: no *.ini files in directory",
              at("conf.d"));
  cr_assert_str_eq(err, want);
  write_ini("conf.d/notes.txt", "[client:x]\nport = 1\n");
  write_ini("conf.d/.hidden.ini", "[client:x]\nport = 1\n");
  mkdir(at("conf.d/sub"), 0755);
  cr_assert_null(load_path(at("conf.d")));
  cr_assert_str_eq(err, want);
}

Test(config, loads_directory_in_name_order_skipping_other_files) {
  struct ts_config *config = load_path(fixtures("ordered"));
  cr_assert_not_null(config, "%s", err);
  cr_assert_eq(config->num_rules, 2);
  cr_assert_str_eq(config->rules[0].name, "first");
  cr_assert_str_eq(config->rules[1].name, "second");
  cr_assert_eq(config->rules[0].index, 0);
  cr_assert_eq(config->rules[1].index, 1);
  cr_assert(strstr(config->rules[1].source_file, "/ordered/9-second.ini"));
  cr_assert_eq(config->rules[1].source_line, 2);
  cr_assert(
      strstr(config->rules[0].ca_file, "/fixtures/config/ordered/../ca.pem"),
      "%s", config->rules[0].ca_file);
  ts_config_free(config);
}

Test(config, directory_skips_editor_backups) {
  make_pki();
  write_ini("conf.d/a.ini", "[client:a]\nport = 1\nca_file = ../ca.pem\n");
  write_ini("conf.d/a.ini~", "not = valid\n");
  write_ini("conf.d/.a.ini.swp", "junk\n");
  write_ini("conf.d/b.ini.bak", "junk\n");
  struct ts_config *config = load_ok("conf.d");
  cr_assert_eq(config->num_rules, 1);
  ts_config_free(config);
}

Test(config, rejects_duplicate_rule_name_across_files) {
  cr_assert_null(load_path(fixtures("duplicate_rule")));
  char want[PATH_MAX * 2];
  char first[PATH_MAX];
  format_text(first, sizeof(first), "%s", fixtures("duplicate_rule/a.ini"));
  format_text(want, sizeof(want),
              "%s:3: rule [client:db] is already defined at %s:1",
              fixtures("duplicate_rule/b.ini"), first);
  cr_assert_str_eq(err, want);
}

Test(config, rejects_global_key_in_two_files) {
  make_pki();
  write_ini("conf.d/10-global.ini", "[global]\nlog_level = info\n");
  write_ini("conf.d/20-app.ini",
            "[client:a]\nport = 1\nca_file = ../ca.pem\n\n"
            "[global]\nlog_level = debug\n");
  cr_assert_null(load_path(at("conf.d")));
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "%s:6: key 'log_level' in [global] is already set at %s:2",
              at("conf.d/20-app.ini"), at("conf.d/10-global.ini"));
  cr_assert_str_eq(err, want);
}

Test(config, rejects_overlap_across_files_naming_both) {
  make_pki();
  write_ini("conf.d/a.ini",
            "[server:a]\nport = 443\ncert = ../server.pem\nkey = ../server.key"
            "\n");
  write_ini("conf.d/b.ini",
            "\n[server:b]\nport = 443\ncert = ../server.pem\n"
            "key = ../server.key\n");
  cr_assert_null(load_path(at("conf.d")));
  char want[PATH_MAX * 2];
  format_text(want, sizeof(want),
              "%s:2: port 443 of [server:b] is already served by [server:a] at "
              "%s:1",
              at("conf.d/b.ini"), at("conf.d/a.ini"));
  cr_assert_str_eq(err, want);
}

Test(config, error_message_is_truncated_safely) {
  make_pki();
  write_ini("app.ini", "[client:db]\nprot = 1\n");
  struct ts_config *config = (struct ts_config *)0x1;
  char small[16];
  cr_assert_not(ts_config_load(at("app.ini"), &config, small, sizeof(small)));
  cr_assert_null(config);
  cr_assert_eq(strlen(small), sizeof(small) - 1);
  cr_assert_not(ts_config_load(at("app.ini"), &config, NULL, 0));
  cr_assert_not(ts_config_load(at("app.ini"), NULL, small, sizeof(small)));
}

// ---------------------------------------------------------------- lookups

Test(config, client_lookup_prefers_name_then_longest_prefix_then_any) {
  struct ts_config *config = load_text_ok(
      "[client:any]\nport = 5432\nca_file = ca.pem\n"
      "[client:ten]\nport = 5432\nca_file = ca.pem\nhost = 10.0.0.0/8\n"
      "[client:ten-one]\nport = 5432\nca_file = ca.pem\nhost = 10.1.0.0/16\n"
      "[client:host]\nport = 5432\nca_file = ca.pem\nhost = 10.1.2.3\n"
      "[client:name]\nport = 5432\nca_file = ca.pem\nhost = db.example\n");
  cr_assert_str_eq(client_rule_for(config, "10.1.2.3", 5432, "db.example"),
                   "name");
  cr_assert_str_eq(client_rule_for(config, "192.0.2.1", 5432, "DB.Example."),
                   "name");
  cr_assert_str_eq(client_rule_for(config, "10.1.2.3", 5432, "other.example"),
                   "host");
  cr_assert_str_eq(client_rule_for(config, "10.1.9.9", 5432, NULL), "ten-one");
  cr_assert_str_eq(client_rule_for(config, "10.200.0.1", 5432, NULL), "ten");
  cr_assert_str_eq(client_rule_for(config, "11.0.0.1", 5432, NULL), "any");
  cr_assert_str_eq(client_rule_for(config, "2001:db8::1", 5432, NULL), "any");
  cr_assert_str_eq(client_rule_for(config, "10.1.2.3", 5433, "db.example"),
                   "(none)");
  ts_config_free(config);
}

Test(config, client_lookup_without_a_catch_all_rule) {
  struct ts_config *config = load_text_ok(
      "[client:ten]\nport = 80, 443\nca_file = ca.pem\nhost = 10.0.0.0/8\n"
      "[client:v6]\nport = 443\nca_file = ca.pem\nhost = fd00::/8\n"
      "[client:name]\nport = 443\nca_file = ca.pem\nhost = api.example\n");
  cr_assert_str_eq(client_rule_for(config, "10.9.9.9", 80, NULL), "ten");
  cr_assert_str_eq(client_rule_for(config, "11.0.0.1", 443, NULL), "(none)");
  cr_assert_str_eq(client_rule_for(config, "fd12::1", 443, NULL), "v6");
  cr_assert_str_eq(client_rule_for(config, "fe80::1", 443, NULL), "(none)");
  // The name must equal the rule's, not merely end with it.
  cr_assert_str_eq(client_rule_for(config, "192.0.2.1", 443, "x.api.example"),
                   "(none)");
  cr_assert_str_eq(client_rule_for(config, "192.0.2.1", 443, "api.example.x"),
                   "(none)");
  cr_assert_str_eq(client_rule_for(config, "192.0.2.1", 443, ""), "(none)");
  ts_config_free(config);
}

Test(config, client_lookup_matches_ipv4_mapped_ipv6_as_ipv4) {
  struct ts_config *config = load_text_ok(
      "[client:ten]\nport = 443\nca_file = ca.pem\nhost = 10.0.0.0/8\n"
      "[client:v6-any]\nport = 443\nca_file = ca.pem\nhost = ::/0\n");
  cr_assert_str_eq(client_rule_for(config, "::ffff:10.1.2.3", 443, NULL),
                   "ten");
  cr_assert_str_eq(client_rule_for(config, "::ffff:11.1.2.3", 443, NULL),
                   "(none)");
  cr_assert_str_eq(client_rule_for(config, "::1", 443, NULL), "v6-any");
  ts_config_free(config);
}

Test(config, client_lookup_ignores_server_rules_and_odd_input) {
  struct ts_config *config = load_text_ok(
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
      "[client:any]\nport = 80\nca_file = ca.pem\n"
      "[client:ten]\nport = 80\nca_file = ca.pem\nhost = 10.0.0.0/8\n");
  cr_assert_str_eq(client_rule_for(config, "10.0.0.1", 443, NULL), "(none)");
  const struct ts_rule *rule =
      ts_config_find_client_rule(config, AF_INET, NULL, 80, NULL);
  cr_assert_not_null(rule);
  cr_assert_str_eq(rule->name, "any");
  uint8_t addr[16] = {10, 0, 0, 1};
  rule = ts_config_find_client_rule(config, 12345, addr, 80, NULL);
  cr_assert_str_eq(rule->name, "any");
  cr_assert_null(ts_config_find_client_rule(NULL, AF_INET, addr, 80, NULL));
  ts_config_free(config);
}

Test(config, server_lookup_and_port_coverage) {
  struct ts_config *config = load_text_ok(
      "[server:web]\nport = 443, 8443\ncert = server.pem\nkey = server.key\n"
      "[server:admin]\nport = 9443\ncert = server.pem\nkey = server.key\n"
      "[client:db]\nport = 5432, 443\nca_file = ca.pem\n");
  cr_assert_str_eq(ts_config_find_server_rule(config, 8443)->name, "web");
  cr_assert_str_eq(ts_config_find_server_rule(config, 443)->name, "web");
  cr_assert_str_eq(ts_config_find_server_rule(config, 9443)->name, "admin");
  cr_assert_null(ts_config_find_server_rule(config, 5432));
  cr_assert_null(ts_config_find_server_rule(config, 0));
  cr_assert_null(ts_config_find_server_rule(NULL, 443));
  cr_assert(ts_config_covers_port(config, 5432));
  cr_assert(ts_config_covers_port(config, 9443));
  cr_assert_not(ts_config_covers_port(config, 80));
  cr_assert_not(ts_config_covers_port(config, 0));
  cr_assert_not(ts_config_covers_port(NULL, 443));
  ts_config_free(config);
}

// --------------------------------------------------------------- printing

static char *printed(const struct ts_config *config) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  cr_assert_not_null(out);
  ts_config_print(config, out);
  fclose(out);
  return text;
}

static void assert_contains(const char *text, const char *part) {
  cr_assert(strstr(text, part) != NULL, "output lacks '%s':\n%s", part, text);
}

Test(config, print_shows_effective_rules) {
  struct ts_config *config = load_text_ok(
      "[client:db]\nport = 5432, 5433\nhost = 10.0.0.0/8\nca_file = ca.pem\n"
      "server_name = db.internal\ncert = client.pem\nkey = client.key\n"
      "[client:any]\nport = 80\nca_file = ca.pem\nmin_version = 1.3\n"
      "[server:web]\nport = 443\ncert = server.pem\nkey = server.key\n"
      "client_ca = clients-ca.pem\nallow_names = a.example, spiffe://t/x\n"
      "[server:open]\nport = 8080\ncert = server.pem\nkey = server.key\n");
  char *text = printed(config);
  char line[PATH_MAX + 64];
  assert_contains(text,
                  "[global]\n  log_level = warn\n"
                  "  log_file = (standard error)\n");
  format_text(line, sizeof(line), "[client:db] defined at %s:1\n",
              at("app.ini"));
  assert_contains(text, line);
  assert_contains(text, "  port = 5432, 5433\n  host = 10.0.0.0/8\n");
  format_text(line, sizeof(line), "  ca_file = %s\n", at("ca.pem"));
  assert_contains(text, line);
  assert_contains(text, "  verify name = (server_name) db.internal\n");
  assert_contains(text,
                  "  verify name = (the name the program resolved, else "
                  "the IP address)\n");
  assert_contains(text, "  min_version = 1.2\n");
  assert_contains(text, "  min_version = 1.3\n");
  assert_contains(text, "  resumption = yes\n");
  format_text(line, sizeof(line), "  client certificate = %s\n",
              at("client.pem"));
  assert_contains(text, line);
  assert_contains(text, "  client certificate = (none)\n");
  assert_contains(text, "  host = (any destination on these ports)\n");
  format_text(line, sizeof(line), "  client certificates = required, CA %s\n",
              at("clients-ca.pem"));
  assert_contains(text, line);
  assert_contains(text, "  allow_names = a.example, spiffe://t/x\n");
  assert_contains(text, "  client certificates = not requested\n");
  free(text);
  ts_config_free(config);
}

Test(config, print_and_free_accept_null) {
  ts_config_print(NULL, stdout);
  ts_config_free(NULL);
}

// ---------------------------------------------------------------- examples

// copy_example copies config/examples/|name| into the test directory.
static void copy_example(const char *name) {
  char src[PATH_MAX];
  format_text(src, sizeof(src), "%s../../../../config/examples/%s",
              fixtures(""), name);
  FILE *in = fopen(src, "r");
  cr_assert_not_null(in, "cannot open %s", src);
  char *text = NULL;
  size_t cap = 0;
  ssize_t len = getdelim(&text, &cap, '\0', in);
  fclose(in);
  cr_assert_gt(len, 0);
  char rel[PATH_MAX];
  format_text(rel, sizeof(rel), "examples/%s", name);
  write_ini(rel, text);
  free(text);
}

Test(config, examples_validate_once_their_files_exist) {
  const char *public_files[] = {"internal-ca.pem", "app-client.pem", "api.pem",
                                "grpc.pem", "clients-ca.pem"};
  const char *key_files[] = {"app-client.key", "api.key", "grpc.key"};
  copy_example("client.ini");
  copy_example("server.ini");
  copy_example("global.ini");
  for (size_t i = 0; i < 5; i++) {
    char rel[128];
    format_text(rel, sizeof(rel), "examples/certs/%s", public_files[i]);
    write_file(rel, 0644, "stand-in\n");
  }
  for (size_t i = 0; i < 3; i++) {
    char rel[128];
    format_text(rel, sizeof(rel), "examples/certs/%s", key_files[i]);
    write_file(rel, 0600, "stand-in\n");
  }
  struct ts_config *config = load_ok("examples/server.ini");
  cr_assert_eq(config->num_rules, 2);
  ts_config_free(config);
  if (access(TS_DEFAULT_CA_FILE, R_OK) != 0) {
    cr_skip_test("client.ini uses %s, which is not installed",
                 TS_DEFAULT_CA_FILE);
  }
  config = load_ok("examples");
  cr_assert_eq(config->num_rules, 5);
  cr_assert_eq(config->log_level, TS_LOG_WARN);
  cr_assert_str_eq(client_rule_for(config, "10.20.3.4", 5432, NULL),
                   "postgres");
  cr_assert_str_eq(
      client_rule_for(config, "10.20.3.4", 5432, "db-primary.internal"),
      "postgres-primary");
  cr_assert_str_eq(client_rule_for(config, "192.0.2.1", 6380, NULL), "redis");
  ts_config_free(config);
  cr_assert_null(load_path(at("examples/global.ini")));
  cr_assert(strstr(err, "no [client:...] or [server:...] rules"), "%s", err);
}
