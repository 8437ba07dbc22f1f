// test_resolver.c — the memory of which name resolved to which address.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <sys/socket.h>

#include "../../shim/preload/resolver.h"

static void remember(const char *name, const char *ip) {
  uint8_t addr[16];
  int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
  cr_assert_eq(inet_pton(family, ip, addr), 1);
  ts_resolver_remember(name, family, addr);
}

static int lookup(const char *ip, char *out, size_t len) {
  uint8_t addr[16];
  int family = strchr(ip, ':') ? AF_INET6 : AF_INET;
  cr_assert_eq(inet_pton(family, ip, addr), 1);
  return ts_resolver_lookup(family, addr, out, len);
}

Test(resolver, unknown_address) {
  char name[256];
  cr_assert_not(lookup("192.0.2.77", name, sizeof(name)));
}

Test(resolver, remembers_and_lowercases) {
  char name[256];
  remember("DB.Internal", "10.1.2.3");
  cr_assert(lookup("10.1.2.3", name, sizeof(name)));
  cr_assert_str_eq(name, "db.internal");
}

Test(resolver, ipv6_and_mapped_ipv4) {
  char name[256];
  remember("v6.example", "2001:db8::5");
  cr_assert(lookup("2001:db8::5", name, sizeof(name)));
  cr_assert_str_eq(name, "v6.example");
  remember("v4.example", "198.51.100.9");
  cr_assert(lookup("::ffff:198.51.100.9", name, sizeof(name)),
            "an IPv4-mapped address finds the IPv4 entry");
  cr_assert_str_eq(name, "v4.example");
}

Test(resolver, latest_name_wins) {
  char name[256];
  remember("first.example", "10.9.9.9");
  remember("second.example", "10.9.9.9");
  cr_assert(lookup("10.9.9.9", name, sizeof(name)));
  cr_assert_str_eq(name, "second.example");
}

Test(resolver, ignores_ip_literals_and_empty) {
  char name[256];
  remember("10.5.5.5", "10.5.5.5");
  cr_assert_not(lookup("10.5.5.5", name, sizeof(name)));
  remember("", "10.5.5.6");
  cr_assert_not(lookup("10.5.5.6", name, sizeof(name)));
  ts_resolver_remember(NULL, AF_INET, (const uint8_t *)"\x0a\x05\x05\x07");
  cr_assert_not(lookup("10.5.5.7", name, sizeof(name)));
}

Test(resolver, strips_trailing_dot) {
  char name[256];
  remember("absolute.example.", "10.7.7.7");
  cr_assert(lookup("10.7.7.7", name, sizeof(name)));
  cr_assert_str_eq(name, "absolute.example");
}

Test(resolver, small_output_buffer_fails) {
  char name[4];
  remember("longer.example", "10.8.8.8");
  cr_assert_not(lookup("10.8.8.8", name, sizeof(name)));
}

Test(resolver, oldest_forgotten_when_full) {
  char name[256];
  remember("oldest.example", "10.200.0.1");
  for (int i = 0; i < TS_RESOLVER_SLOTS; i++) {
    char ip[32];
    char host[32];
    snprintf(ip, sizeof(ip), "10.100.%d.%d", i / 256, i % 256);
    snprintf(host, sizeof(host), "h%d.example", i);
    remember(host, ip);
  }
  cr_assert_not(lookup("10.200.0.1", name, sizeof(name)));
  cr_assert(lookup("10.100.0.255", name, sizeof(name)));
  cr_assert_str_eq(name, "h255.example");
}
