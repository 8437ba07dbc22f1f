// vfork.c — telling a vfork() child from its parent (vfork.h).
//
// vfork() cannot be wrapped by a C function: the child returns from it and
// goes on using the stack where the wrapper's frame was, while the parent is
// suspended inside the wrapper. So the exported vfork is four instructions:
// call ts_vfork_enter, which marks the calling thread and returns the real
// vfork, then jump to it with the program's own return address on top of
// the stack, as if the program had called it directly.
//
// The mark is thread-local. The child runs on the calling thread's memory,
// thread-local storage included, so it sees the mark; the parent's other
// threads never do. A marked thread is the child while getpid() is not the
// owner's, and the parent again once it is (the mark is then cleared: the
// parent resumes only after the child has exec'd or ended).
#include "vfork.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

#include "real.h"

// 0 until the constructor's claim; a fork child claims it again.
static _Atomic pid_t owner_pid;
static __thread int in_vfork __attribute__((tls_model("initial-exec")));

void ts_vfork_claim_memory(void) { atomic_store(&owner_pid, getpid()); }

int ts_vfork_child(void) {
  if (__builtin_expect(!in_vfork, 1)) {
    return 0;
  }
  int saved_errno = errno;
  pid_t self = getpid();
  errno = saved_errno;
  if (self != atomic_load(&owner_pid)) {
    return 1;
  }
  in_vfork = 0;
  return 0;
}

// ts_vfork_enter runs in the calling thread just before the real vfork();
// only the assembly below calls it.
void *ts_vfork_enter(void) __attribute__((used, visibility("hidden")));
void *ts_vfork_enter(void) {
  in_vfork = 1;
  pid_t (*real)(void) = TS_REAL(vfork);
  return (void *)(real != NULL ? real : fork);
}

#if defined(__x86_64__)
// On entry the stack holds the return address (8 mod 16): one more word
// aligns it for the call. endbr64 is a no-op where indirect-branch tracking
// is off.
__asm__(
    ".text\n"
    ".globl vfork\n"
    ".type vfork, @function\n"
    "vfork:\n"
    "  endbr64\n"
    "  sub $8, %rsp\n"
    "  call ts_vfork_enter\n"
    "  add $8, %rsp\n"
    "  jmp *%rax\n"
    ".size vfork, .-vfork\n");
#endif
