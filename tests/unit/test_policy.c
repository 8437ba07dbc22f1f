// test_policy.c — which sockets the preload touches. UDP, UNIX and
// uncovered ports are left alone; a TCP connect() to a covered port is
// upgraded under the matching client rule, with the name to verify taken
// from the rule, else from what the program resolved, else from the address;
// an accept() is upgraded by its local port; and when the configuration
// could not be loaded, TCP is refused rather than passed through in clear.
//
// The test stands in for the runtime: ts_runtime_config() returns |config|,
// loaded from an INI file written into a fresh temporary directory.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../shim/preload/policy.h"
#include "../../shim/preload/resolver.h"
#include "../../shim/preload/runtime.h"

static struct ts_config *config;

const struct ts_config *ts_runtime_config(void) { return config; }

static char root[PATH_MAX];

static void write_file(const char *name, mode_t mode, const char *text) {
  char path[PATH_MAX + 64];
  snprintf(path, sizeof(path), "%s/%s", root, name);
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f, "cannot write %s", path);
  fputs(text, f);
  fclose(f);
  cr_assert_eq(chmod(path, mode), 0);
}

// load writes the rules (client rules on 7001 and 7002, and a server rule on
// |server_port|) and loads them into |config|.
static void load(uint16_t server_port) {
  char tmpl[] = "/tmp/test_policy.XXXXXX";
  cr_assert_not_null(mkdtemp(tmpl));
  snprintf(root, sizeof(root), "%s", tmpl);
  write_file("ca.pem", 0644, "stand-in\n");  // the config checks paths only
  write_file("server.pem", 0644, "stand-in\n");
  write_file("server.key", 0600, "stand-in\n");
  char ini[1024];
  snprintf(ini, sizeof(ini),
           "[client:named]\nport = 7001\nca_file = ca.pem\n"
           "server_name = db.internal\n"
           "[client:unnamed]\nport = 7002\nca_file = ca.pem\n"
           "[server:web]\nport = %u\ncert = server.pem\nkey = server.key\n",
           server_port);
  write_file("app.ini", 0644, ini);
  char path[PATH_MAX + 64];
  char err[512];
  snprintf(path, sizeof(path), "%s/app.ini", root);
  cr_assert(ts_config_load(path, &config, err, sizeof(err)), "%s", err);
}

static void unload(void) {
  ts_config_free(config);
  config = NULL;
  if (root[0] != '\0') {
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    cr_assert_eq(system(cmd), 0);
    root[0] = '\0';
  }
}

static void setup(void) { load(7003); }

static struct sockaddr_storage inet(const char *ip, uint16_t port,
                                    socklen_t *len) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  if (strchr(ip, ':') != NULL) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    cr_assert_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
    *len = sizeof(*in6);
  } else {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    cr_assert_eq(inet_pton(AF_INET, ip, &in->sin_addr), 1);
    *len = sizeof(*in);
  }
  return ss;
}

// client asks the policy about a connect() of a new socket of |type| to
// |ip|:|port|; |rule| and |name| receive the verdict's rule and name.
static enum ts_verdict client(int type, const char *ip, uint16_t port,
                              const struct ts_rule **rule, char *name,
                              size_t name_len) {
  socklen_t len;
  struct sockaddr_storage ss = inet(ip, port, &len);
  int fd = socket(ss.ss_family, type, 0);
  cr_assert_geq(fd, 0);
  *rule = NULL;
  name[0] = '\0';
  enum ts_verdict v =
      ts_policy_client(fd, (struct sockaddr *)&ss, len, rule, name, name_len);
  close(fd);
  return v;
}

Test(policy, udp_unix_and_uncovered_ports_pass, .init = setup, .fini = unload) {
  const struct ts_rule *rule;
  char name[256];
  cr_assert_eq(client(SOCK_DGRAM, "127.0.0.1", 7001, &rule, name, 256), TS_PASS,
               "UDP to a covered port");
  cr_assert_eq(client(SOCK_STREAM, "127.0.0.1", 7999, &rule, name, 256),
               TS_PASS, "TCP to a port no rule names");
  cr_assert_null(rule);

  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  snprintf(un.sun_path, sizeof(un.sun_path), "/tmp/nowhere");
  cr_assert_eq(ts_policy_client(fd, (struct sockaddr *)&un, sizeof(un), &rule,
                                name, sizeof(name)),
               TS_PASS, "a UNIX socket");
  close(fd);
}

// An MPTCP socket is one TCP stream to the program: covered like TCP.
Test(policy, mptcp_is_covered_as_tcp, .init = setup, .fini = unload) {
  socklen_t len;
  struct sockaddr_storage ss = inet("127.0.0.1", 7001, &len);
  int fd = socket(AF_INET, SOCK_STREAM, 262);  // IPPROTO_MPTCP
  cr_assert_geq(fd, 0, "this kernel refuses MPTCP sockets: %s",
                strerror(errno));
  const struct ts_rule *rule = NULL;
  char name[256];
  cr_assert_eq(ts_policy_client(fd, (struct sockaddr *)&ss, len, &rule, name,
                                sizeof(name)),
               TS_COVER);
  cr_assert_not_null(rule);
  close(fd);
}

Test(policy, short_address_passes, .init = setup, .fini = unload) {
  socklen_t len;
  struct sockaddr_storage ss = inet("127.0.0.1", 7001, &len);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  const struct ts_rule *rule = NULL;
  char name[256];
  cr_assert_eq(ts_policy_client(fd, (struct sockaddr *)&ss, len - 1, &rule,
                                name, sizeof(name)),
               TS_PASS, "an address shorter than its family's is not read");
  cr_assert_eq(ts_policy_client(fd, NULL, 0, &rule, name, sizeof(name)),
               TS_PASS);
  close(fd);
}

// expect_cover asserts that a TCP connect() to |ip|:|port| is upgraded
// under the rule |rule_name|, verifying the name |want| (|why| says why).
static void expect_cover(const char *ip, uint16_t port, const char *rule_name,
                         const char *want, const char *why) {
  const struct ts_rule *rule;
  char name[256];
  cr_assert_eq(client(SOCK_STREAM, ip, port, &rule, name, sizeof(name)),
               TS_COVER, "%s", ip);
  cr_assert_str_eq(rule->name, rule_name);
  cr_assert_str_eq(name, want, "%s", why);
}

Test(policy, rule_server_name_is_verified, .init = setup, .fini = unload) {
  ts_resolver_remember("Other.Example", AF_INET,
                       (const uint8_t[]){192, 0, 2, 10});
  expect_cover("192.0.2.10", 7001, "named", "db.internal",
               "server_name wins over the name the program resolved");
}

Test(policy, resolved_name_else_address, .init = setup, .fini = unload) {
  ts_resolver_remember("App.Example", AF_INET,
                       (const uint8_t[]){198, 51, 100, 5});
  expect_cover("198.51.100.5", 7002, "unnamed", "app.example",
               "the name the program resolved, lower-cased");
  expect_cover("198.51.100.6", 7002, "unnamed", "198.51.100.6",
               "never resolved: the address");
  expect_cover("::ffff:198.51.100.7", 7002, "unnamed", "198.51.100.7",
               "IPv4-mapped: the IPv4 address");
  expect_cover("2001:db8::7", 7002, "unnamed", "2001:db8::7",
               "never resolved: the IPv6 address");
}

Test(policy, without_configuration_tcp_is_denied, .fini = unload) {
  config = NULL;  // as after a configuration that failed to load
  const struct ts_rule *rule;
  char name[256];
  cr_assert_eq(client(SOCK_STREAM, "127.0.0.1", 7999, &rule, name, 256),
               TS_DENY, "any TCP port, covered or not: nothing is known");
  cr_assert_eq(client(SOCK_DGRAM, "127.0.0.1", 7001, &rule, name, 256), TS_PASS,
               "UDP is never ours");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(ts_policy_server(fd, &rule), TS_DENY);
  close(fd);
}

// listening returns a TCP socket listening on a free loopback port.
static int listening(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in in = {.sin_family = AF_INET};
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(in);
  cr_assert_eq(bind(fd, (struct sockaddr *)&in, sizeof(in)), 0);
  cr_assert_eq(listen(fd, 4), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&in, &len), 0);
  *port = ntohs(in.sin_port);
  return fd;
}

// accepted connects to |listener| on |port| and returns the accepted end.
static int accepted(int listener, uint16_t port, int *peer) {
  socklen_t len;
  struct sockaddr_storage ss = inet("127.0.0.1", port, &len);
  *peer = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(connect(*peer, (struct sockaddr *)&ss, len), 0);
  int fd = accept(listener, NULL, NULL);
  cr_assert_geq(fd, 0);
  return fd;
}

Test(policy, server_rule_by_local_port, .fini = unload) {
  uint16_t covered;
  uint16_t other;
  int l1 = listening(&covered);
  int l2 = listening(&other);
  load(covered);
  int peer;
  const struct ts_rule *rule = NULL;
  int fd = accepted(l1, covered, &peer);
  cr_assert_eq(ts_policy_server(fd, &rule), TS_COVER);
  cr_assert_str_eq(rule->name, "web");
  close(fd);
  close(peer);
  rule = NULL;
  fd = accepted(l2, other, &peer);
  cr_assert_eq(ts_policy_server(fd, &rule), TS_PASS, "an uncovered port");
  cr_assert_null(rule);
  close(fd);
  close(peer);
  close(l1);
  close(l2);
}
