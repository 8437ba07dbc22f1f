// runtime.h — what the preload loads once per process: the configuration
// (named by TLSSHIM_CONFIG) and, only when a connection first needs TLS, the
// engine and one TLS context per rule.
#ifndef TLSSHIM_RUNTIME_H
#define TLSSHIM_RUNTIME_H

#include "../../config/config.h"
#include "../engine_api.h"

// ts_runtime_config returns the process's configuration, loading it on the
// first call. When it cannot be loaded it returns NULL, having said why on
// standard error once: the caller must then fail TCP connects and accepts
// with EACCES (never pass them through in plaintext).
const struct ts_config *ts_runtime_config(void);

// ts_runtime_engine returns the engine, loading it on the first call, or NULL
// (reason logged) when it cannot be loaded.
const struct ts_engine *ts_runtime_engine(void);

// ts_runtime_ctx returns the shared TLS context of |rule|, creating it on the
// first call, or NULL (reason logged) when the engine or the rule's files
// cannot be loaded.
struct ts_tls_ctx *ts_runtime_ctx(const struct ts_rule *rule);

// ts_runtime_prepare loads the configuration and, now, the TLS contexts
// (and so the engine) of the rules |what| names, when a configuration is
// named and they are not loaded yet: the process is about to give up what
// reading their files may need. Changing user or groups takes away keys
// (root's, mode 600): the rules holding one (TS_PREPARE_KEYS); a fork child
// about to exec as another user pays nothing when its parent already
// loaded them, or when no rule holds a key. chroot takes away every file
// and the engine itself (TS_PREPARE_ALL).
enum ts_prepare { TS_PREPARE_NONE, TS_PREPARE_KEYS, TS_PREPARE_ALL };
void ts_runtime_prepare(enum ts_prepare what);

// ts_runtime_config_named says whether the process was started with a
// configuration to load (TLSSHIM_CONFIG).
int ts_runtime_config_named(void);

// ts_runtime_after_fork_child re-creates the context table's lock in a
// child process.
void ts_runtime_after_fork_child(void);

#endif  // TLSSHIM_RUNTIME_H
