// print.c — the effective configuration in words, for `tlsshim check`: every
// default filled in and every path absolute, so an operator sees what will
// happen rather than what was written.
#include <arpa/inet.h>
#include <stdio.h>

#include "config.h"
#include "values.h"

static void print_global(const struct ts_config *config, FILE *out) {
  fprintf(out, "[global]\n");
  fprintf(out, "  log_level = %s\n", ts_log_level_name(config->log_level));
  fprintf(out, "  log_file = %s\n",
          config->log_file != NULL ? config->log_file : "(standard error)");
}

static void print_ports(const struct ts_rule *rule, FILE *out) {
  fprintf(out, "  port = ");
  for (size_t i = 0; i < rule->num_ports; i++) {
    fprintf(out, "%s%u", i == 0 ? "" : ", ", (unsigned)rule->ports[i]);
  }
  fprintf(out, "\n");
}

static void print_host(const struct ts_host_match *host, FILE *out) {
  char addr[INET6_ADDRSTRLEN];
  switch (host->kind) {
    case TS_HOST_CIDR:
      if (inet_ntop(host->family, host->addr, addr, sizeof(addr)) == NULL) {
        snprintf(addr, sizeof(addr), "?");
      }
      fprintf(out, "  host = %s/%u\n", addr, host->prefix_len);
      break;
    case TS_HOST_NAME:
      fprintf(out, "  host = %s (when the program resolved this name)\n",
              host->name);
      break;
    case TS_HOST_ANY:
    default:
      fprintf(out, "  host = (any destination on these ports)\n");
      break;
  }
}

static void print_client(const struct ts_rule *rule, FILE *out) {
  print_host(&rule->host, out);
  fprintf(out, "  ca_file = %s\n", rule->ca_file);
  if (rule->server_name != NULL) {
    fprintf(out, "  verify name = (server_name) %s\n", rule->server_name);
  } else {
    fprintf(out,
            "  verify name = (the name the program resolved, else the IP "
            "address)\n");
  }
  fprintf(out, "  min_version = %s\n", ts_tls_version_name(rule->min_version));
  fprintf(out, "  resumption = %s\n", rule->resumption ? "yes" : "no");
  if (rule->cert != NULL) {
    fprintf(out, "  client certificate = %s\n", rule->cert);
    fprintf(out, "  client key = %s\n", rule->key);
  } else {
    fprintf(out, "  client certificate = (none)\n");
  }
}

static void print_allow_names(const struct ts_rule *rule, FILE *out) {
  if (rule->num_allow_names == 0) {
    fprintf(out, "  allow_names = (any certificate the client CA issued)\n");
    return;
  }
  fprintf(out, "  allow_names = ");
  for (size_t i = 0; i < rule->num_allow_names; i++) {
    fprintf(out, "%s%s", i == 0 ? "" : ", ", rule->allow_names[i]);
  }
  fprintf(out, "\n");
}

static void print_server(const struct ts_rule *rule, FILE *out) {
  fprintf(out, "  cert = %s\n", rule->cert);
  fprintf(out, "  key = %s\n", rule->key);
  fprintf(out, "  min_version = %s\n", ts_tls_version_name(rule->min_version));
  fprintf(out, "  resumption = %s\n", rule->resumption ? "yes" : "no");
  if (rule->client_ca == NULL) {
    fprintf(out, "  client certificates = not requested\n");
    return;
  }
  fprintf(out, "  client certificates = required, CA %s\n", rule->client_ca);
  print_allow_names(rule, out);
}

static void print_rule(const struct ts_rule *rule, FILE *out) {
  fprintf(out, "[%s:%s] defined at %s:%u\n", ts_role_name(rule->role),
          rule->name, rule->source_file, rule->source_line);
  print_ports(rule, out);
  switch (rule->role) {
    case TS_ROLE_CLIENT:
      print_client(rule, out);
      break;
    case TS_ROLE_SERVER:
      print_server(rule, out);
      break;
    default:
      fprintf(out, "  (unknown role %d)\n", (int)rule->role);
      break;
  }
}

void ts_config_print(const struct ts_config *config, FILE *out) {
  if (config == NULL || out == NULL) {
    return;
  }
  print_global(config, out);
  for (size_t i = 0; i < config->num_rules; i++) {
    fprintf(out, "\n");
    print_rule(&config->rules[i], out);
  }
}
