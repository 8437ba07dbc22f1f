// real.c — resolves the libc functions behind every hook, once.
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>

struct ts_real_table ts_real_fns;
atomic_int ts_real_ready;

static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

// The first and last bytes of this library as loaded, defined by the linker
// for every object it links.
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));

// resolve_one returns the next definition of |name| after this library, or
// NULL. It refuses an answer that points back into this library (which would
// make a hook call itself forever), as proxychains-ng does. The check is an
// address comparison: dladdr() searches symbol tables, and sixty calls of it
// were most of the start-up cost of a small program.
static void *resolve_one(const char *name) {
  void *fn = dlsym(RTLD_NEXT, name);
  if ((const char *)fn >= __ehdr_start && (const char *)fn < _end) {
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
