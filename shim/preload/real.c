// real.c — resolves the libc functions behind every hook, once.
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>

struct ts_real_table ts_real_fns;
atomic_int ts_real_ready;

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

// resolve_one returns the next definition of |name| after this library, or
// NULL. It refuses an answer that points back into this library (which would
// make a hook call itself forever), as proxychains-ng does.
static void *resolve_one(const char *name) {
  void *fn = dlsym(RTLD_NEXT, name);
  Dl_info self;
  Dl_info found;
  if (fn != NULL && dladdr((void *)resolve_one, &self) != 0 &&
      dladdr(fn, &found) != 0 && self.dli_fbase == found.dli_fbase) {
    return NULL;
  }
  return fn;
}

static void resolve_all(void) {
#define TS_RESOLVE(ret, name, params) \
  ts_real_fns.name = (ret(*) params)resolve_one(#name);
  TS_REAL_FUNCTIONS(TS_RESOLVE)
#undef TS_RESOLVE
  atomic_store_explicit(&ts_real_ready, 1, memory_order_release);
}

void ts_real_resolve(void) { pthread_once(&resolve_once, resolve_all); }

__attribute__((constructor)) static void real_constructor(void) {
  ts_real_resolve();
}
