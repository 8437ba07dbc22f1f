// fork.c — no context lock reaches a child of fork() held.
//
// A context's session cache and verified chains are shared by the threads of
// a process under their locks. If fork() copied one of those locks while
// another thread held it (storing a session, remembering a chain), the
// child's first handshake on that rule would block forever, and the data it
// guards could be half updated. So fork() waits until it can hold every
// context's locks, and both parent and child release them afterwards.
#include <pthread.h>

#include "engine.h"

static pthread_mutex_t tracked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ts_tls_ctx *tracked;  // linked by next_tracked
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void lock_all(void) {
  pthread_mutex_lock(&tracked_lock);
  for (struct ts_tls_ctx *c = tracked; c != NULL; c = c->next_tracked) {
    pthread_mutex_lock(&c->cache_lock);
    pthread_mutex_lock(&c->verified.lock);
  }
}

static void unlock_all(void) {
  for (struct ts_tls_ctx *c = tracked; c != NULL; c = c->next_tracked) {
    pthread_mutex_unlock(&c->verified.lock);
    pthread_mutex_unlock(&c->cache_lock);
  }
  pthread_mutex_unlock(&tracked_lock);
}

static void register_handlers(void) {
  pthread_atfork(lock_all, unlock_all, unlock_all);
}

void fork_track(struct ts_tls_ctx *ctx) {
  pthread_once(&atfork_once, register_handlers);
  pthread_mutex_lock(&tracked_lock);
  ctx->next_tracked = tracked;
  tracked = ctx;
  pthread_mutex_unlock(&tracked_lock);
}

void fork_untrack(struct ts_tls_ctx *ctx) {
  pthread_mutex_lock(&tracked_lock);
  for (struct ts_tls_ctx **p = &tracked; *p != NULL; p = &(*p)->next_tracked) {
    if (*p == ctx) {
      *p = ctx->next_tracked;
      break;
    }
  }
  pthread_mutex_unlock(&tracked_lock);
}
