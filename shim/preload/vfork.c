// vfork.c — which process the preload's memory belongs to (vfork.h).
#include "vfork.h"

#include <errno.h>
#include <linux/kcmp.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

// 0 until the first claim (no child can exist before the library's
// constructor has run).
static _Atomic pid_t owner_pid;

void ts_vfork_claim_memory(void) { atomic_store(&owner_pid, getpid()); }

int ts_vfork_child(void) {
  pid_t owner = atomic_load(&owner_pid);
  int saved_errno = errno;
  pid_t self = getpid();
  if (owner == 0 || self == owner) {
    return 0;
  }
  // 0: the same memory as the owner's; 1 or 2 (the kernel's ordering):
  // another; -1: cannot tell (no kcmp, a sandbox, the owner gone).
  long same = syscall(SYS_kcmp, self, owner, KCMP_VM, 0, 0);
  errno = saved_errno;
  if (same <= 0) {
    return 1;
  }
  atomic_store(&owner_pid, self);
  return 0;
}
