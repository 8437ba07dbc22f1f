// test_owner.c — one process per TLS session across fork(): who may use a
// session after a fork, a session busy at the fork, the end of a session,
// and words taken again under a new generation. Every test forks for real;
// a child reports by its exit status (0: as expected).
#include <criterion/criterion.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../shim/preload/owner.h"

// fork_child forks as fork() does under the preload: the session words are
// left unclaimed first (unless |keep|), and the child learns its process ID.
static pid_t fork_child(struct ts_owner *o, int keep) {
  if (!keep) {
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
  cr_assert_eq(ts_owner_holder(&o), pid);
}

// parent_uses_first forks; the parent uses the session (and with |release|
// then ends it) before the child tries. Returns the child's status: 0 when it
// was refused, and saw the parent (or, after |release|, nobody) as holder.
static int parent_uses_first(struct ts_owner *o, int release) {
  pid_t parent = getpid();
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t pid = fork_child(o, 0);
  if (pid == 0) {
    char c;
    _exit(read(go[0], &c, 1) == 1 && ts_owner_begin(o, 1) == 0 &&
                  ts_owner_holder(o) == (release ? 0 : parent)
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

// Another thread was working on the session as fork() was called: the
// child's copy of it is a snapshot from the middle of that work, and must
// never be used.
Test(owner, busy_at_the_fork_stays_with_the_parent) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_take(&o), 0);  // busy, as inside an operation
  ts_owner_before_fork(&o);            // what fork() does meanwhile
  pid_t pid = fork_child(&o, 1);
  if (pid == 0) {
    _exit(ts_owner_begin(&o, 1) == 0 ? 0 : 1);
  }
  cr_assert_eq(child_status(pid), 0);
  ts_owner_end(&o);
  pid = fork_child(&o, 1);
  if (pid == 0) {
    _exit(ts_owner_begin(&o, 1) == 0 ? 0 : 1);  // after the work: still not
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_holder(&o), getpid());
}

Test(owner, a_busy_mark_copied_into_the_child_is_not_its_own) {
  struct ts_owner o = {0};
  cr_assert_eq(ts_owner_take(&o), 0);
  pid_t pid = fork_child(&o, 1);
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
  pid_t pid = fork_child(&o, 1);
  if (pid == 0) {
    ts_owner_release(&o);
    _exit(0);
  }
  cr_assert_eq(child_status(pid), 0);
  cr_assert_eq(ts_owner_begin(&o, 0), 1);
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
