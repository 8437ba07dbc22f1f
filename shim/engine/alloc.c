// alloc.c — one heap per process, even under RTLD_DEEPBIND.
//
// The engine is loaded with RTLD_DEEPBIND so that BoringSSL's symbols never
// meet a program's OpenSSL. The price: the engine's dependencies (BoringSSL,
// libstdc++) would then bind malloc and free to libc's allocator first,
// while a program such as redis allocates with jemalloc. Two allocators in
// one process corrupt each other (seen here: redis-server crashed in
// jemalloc's free once the engine was loaded). Defining the allocation
// functions in the engine itself puts them first in its lookup scope; they
// forward to whatever allocator the program uses (the global scope, which
// does not contain the engine, loaded RTLD_LOCAL).
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

struct allocator {
  void *(*malloc)(size_t);
  void *(*calloc)(size_t, size_t);
  void *(*realloc)(void *, size_t);
  void (*free)(void *);
  int (*posix_memalign)(void **, size_t, size_t);
  void *(*aligned_alloc)(size_t, size_t);
  void *(*memalign)(size_t, size_t);
  size_t (*malloc_usable_size)(void *);
};

// The table, filled once, and the pointer that publishes it: a thread that
// finds the pointer set sees every field.
static struct allocator program;
static _Atomic(const struct allocator *) published;
static atomic_flag filling = ATOMIC_FLAG_INIT;

// lookup returns the program's definition of |name|: the main program's
// handle searches the global scope in load order (the executable, its
// libraries, LD_PRELOAD), whereas RTLD_DEFAULT from inside a DEEPBIND object
// would find these very functions again. libc's, via RTLD_NEXT, is the
// fallback.
static void *lookup(void *main_program, const char *name, void *self) {
  void *fn = main_program == NULL ? NULL : dlsym(main_program, name);
  if (fn == NULL || fn == self) {
    fn = dlsym(RTLD_NEXT, name);
  }
  return fn;
}

// next finds the program's allocator the first time anything in the
// engine's scope allocates (libstdc++ does while the engine is being
// loaded); successful look-ups do not allocate, so this cannot recurse (a
// recursion would wait below for itself).
static const struct allocator *next(void) {
  const struct allocator *ready =
      atomic_load_explicit(&published, memory_order_acquire);
  if (__builtin_expect(ready != NULL, 1)) {
    return ready;
  }
  if (atomic_flag_test_and_set(&filling)) {
    // Another thread is filling it in: a few look-ups, soon done.
    while ((ready = atomic_load_explicit(&published, memory_order_acquire)) ==
           NULL) {
      sched_yield();
    }
    return ready;
  }
  void *main_program = dlopen(NULL, RTLD_NOW | RTLD_NOLOAD);
  struct allocator a;
  a.malloc = (void *(*)(size_t))lookup(main_program, "malloc", (void *)malloc);
  a.calloc =
      (void *(*)(size_t, size_t))lookup(main_program, "calloc", (void *)calloc);
  a.realloc = (void *(*)(void *, size_t))lookup(main_program, "realloc",
                                                (void *)realloc);
  a.posix_memalign = (int (*)(void **, size_t, size_t))lookup(
      main_program, "posix_memalign", (void *)posix_memalign);
  a.aligned_alloc = (void *(*)(size_t, size_t))lookup(
      main_program, "aligned_alloc", (void *)aligned_alloc);
  a.memalign = (void *(*)(size_t, size_t))lookup(main_program, "memalign",
                                                 (void *)memalign);
  a.malloc_usable_size = (size_t(*)(void *))lookup(
      main_program, "malloc_usable_size", (void *)malloc_usable_size);
  a.free = (void (*)(void *))lookup(main_program, "free", (void *)free);
  program = a;
  atomic_store_explicit(&published, &program, memory_order_release);
  return &program;
}

EXPORT void *malloc(size_t size) { return next()->malloc(size); }

EXPORT void *calloc(size_t n, size_t size) { return next()->calloc(n, size); }

EXPORT void *realloc(void *p, size_t size) { return next()->realloc(p, size); }

EXPORT void free(void *p) { next()->free(p); }

EXPORT int posix_memalign(void **out, size_t align, size_t size) {
  return next()->posix_memalign(out, align, size);
}

EXPORT void *aligned_alloc(size_t align, size_t size) {
  return next()->aligned_alloc(align, size);
}

EXPORT void *memalign(size_t align, size_t size) {
  return next()->memalign(align, size);
}

EXPORT size_t malloc_usable_size(void *p) {
  return next()->malloc_usable_size(p);
}

// BoringSSL frees through jemalloc's sized free when a global sdallocx
// exists (a weak reference), whatever allocator the program's malloc is;
// with an allocator preloaded ahead of a jemalloc-linked program, that frees
// into the wrong heap. Defined here, its frees go where its allocations came
// from.
EXPORT void sdallocx(void *p, size_t size, int flags);
EXPORT void sdallocx(void *p, size_t size, int flags) {
  (void)size;
  (void)flags;
  next()->free(p);
}
