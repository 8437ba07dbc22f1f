// test_owner.c — one process per TLS session across fork(): who may use a
// session after a fork, a session busy at the fork, the end of a session,
// and words taken again under a new generation. Every test forks for real;
// a child reports by its exit status (0: as expected).
#include <criterion/criterion.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../shim/preload/owner.h"

// fork_child forks as fork() does under the preload: the session words are
// left unclaimed first (unless another thread is busy with them, which
// |busy_elsewhere| stands for), and the child checks its copy.
static pid_t fork_child(struct ts_owner *o, int busy_elsewhere) {
  ts_owner_fork_begins();
  if (!busy_elsewhere) {
    ts_owner_before_fork(o);
  }
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ts_owner_after_fork_child();
    ts_owner_forked(o);
  }
  return pid;
}

// wait_then_refused is a child's part: it waits for the parent's word on
// |go|, then exits 0 if it may not use the session.
static void wait_then_refused(struct ts_owner *o, int go) {
  char c;
  _exit(read(go, &c, 1) == 1 && ts_owner_begin(o, 1) == 0 ? 0 : 1);
}

static int child_status(pid_t pid) {
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void take(struct ts_owner *o) {
  *o = (struct ts_owner){0};
  cr_assert_eq(ts_owner_take(o), 0);
  ts_owner_end(o);
}

Test(owner, no_session_yet_is_anyones) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_begin(&o, 0), 1);
  cr_assert_eq(ts_owner_holder(&o), 0);
}

Test(owner, the_taker_holds_it) {
  struct ts_owner o;
  take(&o);
  cr_assert_eq(ts_owner_holder(&o), getpid());
  cr_assert_eq(ts_owner_begin(&o, 0), 1);
  ts_owner_end(&o);
  ts_owner_release(&o);
}

Test(owner, the_holder_asking_again_while_busy_still_holds_it) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_take(&o), 0);  // busy
  cr_assert_eq(ts_owner_begin(&o, 1), 1);
  ts_owner_end(&o);
  cr_assert_eq(ts_owner_holder(&o), getpid());
}

Test(owner, child_that_uses_it_first_takes_it) {
  struct ts_owner o;
  take(&o);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    int ok = ts_owner_begin(&o, 1) == 1 && ts_owner_holder(&o) == getpid();
    ts_owner_end(&o);
    _exit(ok ? 0 : 1);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_begin(&o, 1), 0, "the parent used it after the child");
  cr_assert_eq(ts_owner_holder(&o), 0, "the parent's copy is left behind");
}

// parent_uses_first forks; the parent uses the session (and with |release|
// then ends it) before the child tries. Returns the child's status: 0 when it
// was refused, its copy left behind.
static int parent_uses_first(struct ts_owner *o, int release) {
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t pid = fork_child(o, 0);
  if (pid == 0) {
    char c;
    _exit(read(go[0], &c, 1) == 1 && ts_owner_begin(o, 1) == 0 &&
                  ts_owner_holder(o) == 0
              ? 0
              : 1);
  }
  cr_assert_eq(ts_owner_begin(o, 1), 1);
  ts_owner_end(o);
  if (release) {
    ts_owner_release(o);
  }
  cr_assert_eq(write(go[1], "x", 1), 1);
  return child_status(pid);
}

Test(owner, parent_that_uses_it_first_keeps_it) {
  struct ts_owner o;
  take(&o);
  cr_assert_eq(parent_uses_first(&o, 0), 0,
               "the child used it after the parent");
  cr_assert_eq(ts_owner_holder(&o), getpid());
}

Test(owner, closing_without_claiming_leaves_it_unclaimed) {
  struct ts_owner o;
  take(&o);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    _exit(ts_owner_begin(&o, 0) == 0 ? 0 : 1);  // not held: nothing to end
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_begin(&o, 0), 0, "unclaimed, so not held");
  cr_assert_eq(ts_owner_begin(&o, 1), 1, "and still there to take");
  ts_owner_end(&o);
}

// fork_again_then_try forks once more (which leaves the session unclaimed
// again), then lets |waiting|, a child in wait_then_refused on |go|, try the
// session. Returns |waiting|'s status: 0 when it was refused.
static int fork_again_then_try(struct ts_owner *o, pid_t waiting, int go) {
  pid_t pid = fork_child(o, 0);
  if (pid == 0) {
    _exit(0);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(write(go, "x", 1), 1);
  return child_status(waiting);
}

// Another thread was working on the session as fork() was called: the
// child's copy of it is a snapshot from the middle of that work, and must
// never be used, not even once the parent has left the session unclaimed at
// a later fork.
Test(owner, busy_at_the_fork_the_childs_copy_is_dead_for_good) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_take(&o), 0);  // busy, as inside an operation
  ts_owner_fork_begins();
  ts_owner_before_fork(&o);  // what fork() does meanwhile: leaves it alone
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t torn = fork();
  cr_assert_geq(torn, 0);
  if (torn == 0) {
    ts_owner_forked(&o);
    wait_then_refused(&o, go[0]);
  }
  ts_owner_end(&o);
  cr_assert_eq(fork_again_then_try(&o, torn, go[1]), 0,
               "the torn copy was used");
}

// A child that never used its copy, while its parent used the session and
// forked again: the copy is older than the session, and stays dead.
Test(owner, an_older_childs_copy_stays_dead_after_a_later_fork) {
  struct ts_owner o;
  take(&o);
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t old = fork_child(&o, 0);
  if (old == 0) {
    wait_then_refused(&o, go[0]);
  }
  cr_assert_eq(ts_owner_begin(&o, 1), 1);  // the parent goes on
  ts_owner_end(&o);
  cr_assert_eq(fork_again_then_try(&o, old, go[1]), 0,
               "the older copy was used");
}

// fork() without its handlers (_Fork, the system call itself): the child
// must still know it is not the process holding the session.
Test(owner, a_child_forked_without_handlers_is_not_the_holder) {
  struct ts_owner o;
  take(&o);
  pid_t pid = (pid_t)syscall(SYS_fork);
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    _exit(ts_owner_begin(&o, 1) == 0 ? 0 : 1);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_begin(&o, 0), 1);
  ts_owner_end(&o);
}

// A child of fork() without handlers keeps a busy mark it does not own.
Test(owner, a_busy_mark_copied_into_the_child_is_not_its_own) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_take(&o), 0);
  pid_t pid = (pid_t)syscall(SYS_fork);
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ts_owner_end(&o);  // must not store the child as holder
    _exit(0);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_holder(&o), getpid());
  ts_owner_end(&o);
}

Test(owner, released_by_its_holder_it_is_over_for_all) {
  struct ts_owner o;
  take(&o);
  cr_assert_eq(parent_uses_first(&o, 1), 0);
}

Test(owner, release_by_another_process_changes_nothing) {
  struct ts_owner o;
  take(&o);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    ts_owner_release(&o);  // it never held it: the word stays unclaimed
    _exit(0);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_begin(&o, 1), 1);
  ts_owner_end(&o);
}

Test(owner, a_word_taken_again_does_not_match_the_old_session) {
  struct ts_owner old;
  take(&old);
  struct ts_owner copy = old;  // a fork child's view of it
  ts_owner_release(&old);
  struct ts_owner fresh;
  take(&fresh);
  cr_assert_eq(fresh.slot, copy.slot, "the freed word is the first free");
  cr_assert_neq(fresh.gen, copy.gen);
  cr_assert_eq(ts_owner_begin(&copy, 1), 0);
  cr_assert_eq(ts_owner_holder(&copy), 0);
}

Test(owner, many_sessions_get_distinct_words) {
  static struct ts_owner o[2000];
  for (int i = 0; i < 2000; i++) {
    take(&o[i]);
  }
  for (int i = 1; i < 2000; i++) {
    cr_assert_neq(o[i].slot, o[i - 1].slot);
    cr_assert_eq(ts_owner_holder(&o[i]), getpid());
  }
  uint32_t first = o[0].slot;
  for (int i = 0; i < 2000; i++) {
    ts_owner_release(&o[i]);
  }
  struct ts_owner again;
  take(&again);
  cr_assert_eq(again.slot, first, "freed words are found again");
}
