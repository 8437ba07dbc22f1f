// runtime_engine.c — loads libtlsshim-engine.so in its own symbol scope, the
// first time a connection needs TLS, and keeps one TLS context per rule.
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "real.h"
#include "runtime.h"
#include "vfork.h"

#define ENGINE_FILE "libtlsshim-engine.so"

static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static const struct ts_engine *engine;

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_tls_ctx **contexts;  // indexed by ts_rule.index

// engine_recvmsg is every read of the TLS layer from the kernel. Anything
// but "nothing yet" is news for EPOLLET watches (conn.h: ts_conn_edge_seq).
static ssize_t engine_recvmsg(int fd, struct msghdr *msg, int flags) {
  ssize_t n = TS_REAL(recvmsg)(fd, msg, flags);
  if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    ts_edge_bump(fd);  // an atomic add: errno stays as recvmsg left it
  }
  return n;
}

static ssize_t engine_send(int fd, const void *buf, size_t len, int flags) {
  return TS_REAL(send)(fd, buf, len, flags);
}

static const struct ts_engine_io engine_io = {
    .recvmsg = engine_recvmsg,
    .send = engine_send,
    .log = ts_log,
};

// engine_path finds the engine beside this library unless TLSSHIM_ENGINE
// names it.
static int engine_path(char *out, size_t out_len) {
  const char *env = getenv("TLSSHIM_ENGINE");
  if (env != NULL && env[0] != '\0') {
    return snprintf(out, out_len, "%s", env) < (int)out_len;
  }
  Dl_info self;
  if (dladdr((void *)engine_path, &self) == 0 || self.dli_fname == NULL) {
    return 0;
  }
  const char *slash = strrchr(self.dli_fname, '/');
  size_t dir_len = slash == NULL ? 0 : (size_t)(slash - self.dli_fname + 1);
  return snprintf(out, out_len, "%.*s%s", (int)dir_len, self.dli_fname,
                  ENGINE_FILE) < (int)out_len;
}

static void load_engine(void) {
  char path[PATH_MAX];
  if (!engine_path(path, sizeof(path))) {
    ts_log_error("cannot locate %s", ENGINE_FILE);
    return;
  }
  // DEEPBIND: the engine and BoringSSL resolve their own symbols first, so a
  // program's OpenSSL keeps its own and the engine's libc calls skip the hooks.
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (handle == NULL) {
    ts_log_error("cannot load the TLS engine: %s", dlerror());
    return;
  }
  ts_engine_entry_fn entry =
      (ts_engine_entry_fn)dlsym(handle, TS_ENGINE_SYMBOL);
  const struct ts_engine *found = entry == NULL ? NULL : entry();
  if (found == NULL || found->abi_version != TS_ENGINE_ABI_VERSION) {
    ts_log_error("%s is not a tlsshim engine of ABI version %d", path,
                 TS_ENGINE_ABI_VERSION);
    return;
  }
  if (!found->init(&engine_io)) {
    ts_log_error("the TLS engine failed to initialise");
    return;
  }
  ts_log_debug("TLS engine loaded from %s", path);
  engine = found;
}

const struct ts_engine *ts_runtime_engine(void) {
  pthread_once(&engine_once, load_engine);
  return engine;
}

struct ts_tls_ctx *ts_runtime_ctx(const struct ts_rule *rule) {
  const struct ts_engine *eng = ts_runtime_engine();
  const struct ts_config *config = ts_runtime_config();
  if (eng == NULL || config == NULL) {
    return NULL;
  }
  pthread_mutex_lock(&ctx_lock);
  if (contexts == NULL) {
    contexts = calloc(config->num_rules, sizeof(*contexts));
  }
  struct ts_tls_ctx *ctx = NULL;
  if (contexts != NULL) {
    ctx = contexts[rule->index];
    if (ctx == NULL) {
      char err[512];
      ctx = eng->ctx_new(rule, err, sizeof(err));
      if (ctx == NULL) {
        ts_log_error("%s", err);
      }
      contexts[rule->index] = ctx;
    }
  }
  pthread_mutex_unlock(&ctx_lock);
  return ctx;
}

// How far ts_runtime_prepare has gone in this process, under prepare_lock:
// a thread that changes credentials waits for another's preparation.
static pthread_mutex_t prepare_lock = PTHREAD_MUTEX_INITIALIZER;
static enum ts_prepare prepared = TS_PREPARE_NONE;

void ts_runtime_prepare(enum ts_prepare what) {
  // A vfork child shares its parent's memory: what it loaded would name
  // descriptors in its own table.
  if (ts_vfork_child() || !ts_runtime_config_named()) {
    return;
  }
  pthread_mutex_lock(&prepare_lock);
  if (prepared < what) {
    prepared = what;
    const struct ts_config *config = ts_runtime_config();
    for (size_t i = 0; config != NULL && i < config->num_rules; i++) {
      const struct ts_rule *rule = &config->rules[i];
      if (what == TS_PREPARE_ALL || rule->key != NULL) {
        (void)ts_runtime_ctx(rule);  // a failure is logged
      }
    }
  }
  pthread_mutex_unlock(&prepare_lock);
}

void ts_runtime_after_fork_child(void) {
  pthread_mutex_init(&ctx_lock, NULL);
  pthread_mutex_init(&prepare_lock, NULL);
}
