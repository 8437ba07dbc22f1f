// policy.h — decides, for a connect() or an accept(), whether the socket is
// left alone, upgraded to TLS under a rule, or refused.
#ifndef TLSSHIM_POLICY_H
#define TLSSHIM_POLICY_H

#include <stddef.h>
#include <sys/socket.h>

#include "../../config/config.h"

enum ts_verdict {
  TS_PASS = 0,   // not ours: UDP, UNIX, an uncovered port; touch nothing
  TS_COVER = 1,  // upgrade to TLS under the rule given
  TS_DENY = 2,   // fail closed with EACCES: the configuration did not load
};

// ts_policy_client decides for a connect() of |fd| to |addr|. On TS_COVER it
// sets |*out_rule| and writes the name to verify into |verify_name|: the
// rule's server_name, else the name the program resolved for |addr|, else
// the IP address.
enum ts_verdict ts_policy_client(int fd, const struct sockaddr *addr,
                                 socklen_t addr_len,
                                 const struct ts_rule **out_rule,
                                 char *verify_name, size_t verify_name_len);

// ts_policy_server decides for a connection |fd| just accepted: its local
// port selects the rule.
enum ts_verdict ts_policy_server(int fd, const struct ts_rule **out_rule);

#endif  // TLSSHIM_POLICY_H
