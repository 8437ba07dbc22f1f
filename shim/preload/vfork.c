// vfork.c — telling a vfork() child from its parent (vfork.h).
//
// vfork() cannot be wrapped by a C function: the child returns from it and
// goes on using the stack where the wrapper's frame was, while the parent is
// suspended inside the wrapper. So the exported vfork is assembly that makes
// the system call itself, as glibc's does: it keeps the return address in a
// register across the call, which the child's use of the stack cannot
// clobber. Before the call, ts_vfork_enter marks the calling thread with
// its process ID; in the parent, ts_vfork_leave puts back the mark it had
// (none, except in a vfork child or a signal handler inside vfork) as soon
// as the call returns.
//
// The mark is thread-local. The child runs on the calling thread's memory,
// thread-local storage included, so it sees the mark, under another process
// ID; the parent's other threads never see it, and the marked thread sees
// its own process ID until the mark goes (a signal handler that runs in the
// parent just before the call).
#include "vfork.h"

#include <errno.h>
#include <unistd.h>

__thread pid_t ts_vfork_mark;

int ts_vfork_child_slow(void) {
  int saved_errno = errno;
  pid_t self = getpid();
  errno = saved_errno;
  return self != ts_vfork_mark;
}

void ts_vfork_after_fork_child(void) { ts_vfork_mark = 0; }

// Called only by the assembly below.
long ts_vfork_enter(void) __attribute__((used, visibility("hidden")));
long ts_vfork_leave(long ret, long previous)
    __attribute__((used, visibility("hidden")));

// ts_vfork_enter marks the calling thread and returns the mark it had: a
// vfork child calling vfork(), or a signal handler calling it inside
// vfork(), must find its own mark again afterwards.
long ts_vfork_enter(void) {
  pid_t previous = ts_vfork_mark;
  ts_vfork_mark = getpid();
  return previous;
}

// ts_vfork_leave takes the system call's result in the parent, puts the
// |previous| mark back and returns vfork()'s result: the child's ID, or -1
// with errno set.
long ts_vfork_leave(long ret, long previous) {
  ts_vfork_mark = (pid_t)previous;
  if (ret < 0 && ret > -4096) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}

#if defined(__x86_64__)
// On entry the return address is on top of the stack (8 mod 16): one more
// word aligns the stack for a call. The child returns as glibc's vfork
// returns, without popping a shadow stack it shares with the parent when
// one is in use (rdsspq reads 0, or does nothing, without one).
__asm__(
    ".text\n"
    ".globl vfork\n"
    ".type vfork, @function\n"
    "vfork:\n"
    "  .cfi_startproc\n"
    "  endbr64\n"
    "  sub $8, %rsp\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  call ts_vfork_enter\n"
    "  add $8, %rsp\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "  mov %rax, %rsi\n"  // the previous mark, kept across syscall
    "  pop %rdi\n"        // the return address, likewise
    "  .cfi_adjust_cfa_offset -8\n"
    "  .cfi_register %rip, %rdi\n"
    "  mov $58, %eax\n"  // SYS_vfork
    "  syscall\n"
    "  push %rdi\n"
    "  .cfi_adjust_cfa_offset 8\n"
    "  .cfi_rel_offset %rip, 0\n"
    "  test %rax, %rax\n"
    "  jz 1f\n"
    "  sub $8, %rsp\n"  // the parent, or an error
    "  .cfi_adjust_cfa_offset 8\n"
    "  mov %rax, %rdi\n"
    "  call ts_vfork_leave\n"
    "  add $8, %rsp\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "  ret\n"
    "1:\n"  // the child
    "  xor %esi, %esi\n"
    "  rdsspq %rsi\n"
    "  test %rsi, %rsi\n"
    "  jz 2f\n"
    "  .cfi_remember_state\n"
    "  pop %rdi\n"
    "  .cfi_adjust_cfa_offset -8\n"
    "  .cfi_register %rip, %rdi\n"
    "  jmp *%rdi\n"
    "  .cfi_restore_state\n"
    "2:\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size vfork, .-vfork\n");
#endif
