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

// wait_go is a child's wait for its parent's word on the pipe |go|. The
// child gives up its own copy of the writing end first, so that a parent that
// failed and ended does not leave it waiting for ever (holding the test's
// output open). Returns 1 once the word came.
static int wait_go(int go[2]) {
  char c;
  close(go[1]);
  return read(go[0], &c, 1) == 1;
}

// wait_then_refused is a child's part: it waits for the parent's word on
// |go|, then exits 0 if it may not use the session.
static void wait_then_refused(struct ts_owner *o, int go[2]) {
  _exit(wait_go(go) && ts_owner_begin(o, 1) == 0 ? 0 : 1);
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
    _exit(wait_go(go) && ts_owner_begin(o, 1) == 0 && ts_owner_holder(o) == 0
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
    wait_then_refused(&o, go);
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
    wait_then_refused(&o, go);
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

// next_slot tells which word the next session would get: the first free one.
static uint32_t next_slot(void) {
  struct ts_owner fresh;
  take(&fresh);
  uint32_t slot = fresh.slot;
  ts_owner_release(&fresh);
  return slot;
}

Test(owner, the_last_copy_to_end_frees_an_unclaimed_word) {
  struct ts_owner o;
  take(&o);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    ts_owner_release(&o);
    _exit(0);
  }
  cr_assert_eq(child_status(pid), 0);
  ts_owner_release(&o);
  cr_assert_eq(next_slot(), o.slot);
}

// A fork-per-connection server's parent closes its copy at once, often
// before the child has even started: the child must still get the session.
Test(owner, the_parent_may_let_go_before_its_child_starts) {
  struct ts_owner o;
  take(&o);
  int go[2];
  cr_assert_eq(pipe(go), 0);
  ts_owner_fork_begins();
  ts_owner_before_fork(&o);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    if (!wait_go(go)) {
      _exit(2);
    }
    ts_owner_after_fork_child();
    ts_owner_forked(&o);
    _exit(ts_owner_begin(&o, 1) == 1 ? 0 : 1);
  }
  ts_owner_release(&o);
  cr_assert_neq(next_slot(), o.slot, "freed while the child was to come");
  cr_assert_eq(write(go[1], "x", 1), 1);
  cr_assert_eq(child_status(pid), 0, "the child was refused");
}

// A child that forks a helper, after which both call _exit: nobody ends the
// unclaimed session, and a later session's start must free its word.
Test(owner, copies_that_end_without_closing_are_swept) {
  struct ts_owner o;
  take(&o);
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    if (!wait_go(go)) {
      _exit(2);
    }
    pid_t helper = fork_child(&o, 0);
    if (helper == 0) {
      _exit(0);
    }
    _exit(waitpid(helper, NULL, 0) == helper ? 0 : 1);
  }
  ts_owner_release(&o);  // while the child lives: the word stays
  cr_assert_neq(next_slot(), o.slot, "freed while the child lives");
  cr_assert_eq(write(go[1], "x", 1), 1);
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(next_slot(), o.slot, "the word was not swept");
}

// The same, connection after connection, as a server would: the pool must
// not grow with the connections served.
Test(owner, a_fork_per_connection_server_does_not_fill_the_pool) {
  for (int i = 0; i < 300; i++) {
    struct ts_owner o;
    take(&o);
    pid_t pid = fork_child(&o, 0);
    if (pid == 0) {
      pid_t helper = fork_child(&o, 0);
      if (helper == 0) {
        _exit(0);
      }
      _exit(waitpid(helper, NULL, 0) == helper ? 0 : 1);
    }
    ts_owner_release(&o);
    cr_assert_eq(child_status(pid), 0);
  }
  cr_assert_lt(next_slot(), 16, "the pool grows with every connection");
}

// A parent that lets go of its copy only after its child took the session
// is no longer among those who can use it, though it lives on: once the
// child and its own helper are gone, the word must be freed.
Test(owner, a_copy_left_behind_does_not_keep_the_word) {
  struct ts_owner o;
  take(&o);
  int taken[2], go[2];
  cr_assert_eq(pipe(taken), 0);
  cr_assert_eq(pipe(go), 0);
  pid_t pid = fork_child(&o, 0);
  if (pid == 0) {
    int ok = ts_owner_begin(&o, 1) == 1;
    ts_owner_end(&o);
    if (write(taken[1], "x", 1) != 1 || !wait_go(go)) {
      _exit(2);
    }
    pid_t helper = fork_child(&o, 0);
    if (helper == 0) {
      _exit(0);
    }
    _exit(ok && waitpid(helper, NULL, 0) == helper ? 0 : 1);
  }
  char c;
  close(taken[1]);  // a child that ended early ends this read too
  cr_assert_eq(read(taken[0], &c, 1), 1);
  ts_owner_release(&o);  // the child holds it now: nothing to change
  cr_assert_eq(write(go[1], "x", 1), 1);
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(next_slot(), o.slot, "the word was not swept");
}

// A process that forks a child per connection while it holds a session of
// its own: the children that have ended make room in the list for the next.
Test(owner, children_that_ended_make_room_for_the_next) {
  struct ts_owner o;
  take(&o);
  for (int i = 0; i < 40; i++) {
    pid_t pid = fork_child(&o, 0);
    if (pid == 0) {
      _exit(0);
    }
    cr_assert_eq(child_status(pid), 0);
  }
  ts_owner_release(&o);  // never claimed since the first fork
  cr_assert_eq(next_slot(), o.slot, "the list overflowed");
}

// A daemon's start: the process that forks exits at once, and is reaped,
// before its child has listed itself. A session's start meanwhile must not
// take the child's session away.
Test(owner, a_child_outlives_the_parent_that_forked_it) {
  struct ts_owner unused;
  take(&unused);  // the pool exists before the fork, so it is shared
  int go[2], result[2];
  cr_assert_eq(pipe(go), 0);
  cr_assert_eq(pipe(result), 0);
  struct ts_owner o;
  pid_t parent = fork();
  cr_assert_geq(parent, 0);
  if (parent == 0) {
    take(&o);
    ts_owner_fork_begins();
    ts_owner_before_fork(&o);
    pid_t child = fork();
    if (child == 0) {
      if (!wait_go(go)) {
        _exit(2);
      }
      ts_owner_after_fork_child();
      ts_owner_forked(&o);
      char ok = ts_owner_begin(&o, 1) == 1 ? 'y' : 'n';
      _exit(write(result[1], &ok, 1) == 1 ? 0 : 1);
    }
    _exit(child > 0 ? 0 : 1);
  }
  cr_assert_eq(child_status(parent), 0);
  close(result[1]);
  next_slot();  // sweeps the pool, child's word included
  cr_assert_eq(write(go[1], "x", 1), 1);
  char ok = 0;
  cr_assert_eq(read(result[0], &ok, 1), 1);
  cr_assert_eq(ok, 'y', "the child was refused its session");
}
