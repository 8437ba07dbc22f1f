// test_fdtable.c — the descriptor table: lookups, duplicates sharing one
// entry, reference counting, removal, and the bounds.
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../../shim/preload/fdtable.h"

struct counted {
  struct ts_fdentry entry;
  int released;
};

static void release(struct ts_fdentry *entry) {
  ((struct counted *)entry)->released++;
}

static void counted_init(struct counted *c) {
  atomic_init(&c->entry.refs, 1);
  c->entry.nfds = 0;
  c->entry.release = release;
  c->released = 0;
}

Test(fdtable, missing_fd_is_null) {
  cr_assert_null(ts_fdtable_get(5));
  cr_assert_null(ts_fdtable_get(-1));
  cr_assert_null(ts_fdtable_get(TS_FDTABLE_MAX_FD));
}

Test(fdtable, insert_get_remove) {
  struct counted c;
  counted_init(&c);
  cr_assert(ts_fdtable_insert(7, &c.entry));
  cr_assert_eq(ts_fdtable_count(), 1);
  struct ts_fdentry *got = ts_fdtable_get(7);
  cr_assert_eq(got, &c.entry);
  cr_assert_eq(atomic_load(&c.entry.refs), 3);  // creator + slot + get
  ts_fdentry_unref(got);
  int last = 0;
  struct ts_fdentry *removed = ts_fdtable_remove(7, &last);
  cr_assert_eq(removed, &c.entry);
  cr_assert(last);
  cr_assert_null(ts_fdtable_get(7));
  ts_fdentry_unref(removed);
  cr_assert_eq(c.released, 0);
  ts_fdentry_unref(&c.entry);
  cr_assert_eq(c.released, 1);
  cr_assert_eq(ts_fdtable_count(), 0);
}

Test(fdtable, duplicates_share_one_entry) {
  struct counted c;
  counted_init(&c);
  cr_assert(ts_fdtable_insert(3, &c.entry));
  cr_assert(ts_fdtable_insert(2000, &c.entry));  // another chunk
  cr_assert_eq(c.entry.nfds, 2);
  int last = 1;
  ts_fdentry_unref(ts_fdtable_remove(3, &last));
  cr_assert_not(last, "a duplicate still names the entry");
  cr_assert_eq(ts_fdtable_get(2000), &c.entry);
  ts_fdentry_unref(&c.entry);
  ts_fdentry_unref(ts_fdtable_remove(2000, &last));
  cr_assert(last);
  cr_assert_eq(c.released, 0);
  ts_fdentry_unref(&c.entry);
  cr_assert_eq(c.released, 1);
}

Test(fdtable, insert_over_existing_drops_old) {
  struct counted a;
  struct counted b;
  counted_init(&a);
  counted_init(&b);
  cr_assert(ts_fdtable_insert(9, &a.entry));
  cr_assert(ts_fdtable_insert(9, &b.entry));
  cr_assert_eq(a.entry.nfds, 0);
  cr_assert_eq(atomic_load(&a.entry.refs), 1);
  int last = 0;
  ts_fdentry_unref(ts_fdtable_remove(9, &last));
  cr_assert(last);
  cr_assert_eq(ts_fdtable_count(), 0);
  ts_fdentry_unref(&a.entry);
  ts_fdentry_unref(&b.entry);
  cr_assert_eq(a.released + b.released, 2);
}

Test(fdtable, remove_missing_is_null) {
  int last = 1;
  cr_assert_null(ts_fdtable_remove(11, &last));
  cr_assert_not(last);
  cr_assert_null(ts_fdtable_remove(-4, &last));
}

Test(fdtable, out_of_range_insert_fails) {
  struct counted c;
  counted_init(&c);
  cr_assert_not(ts_fdtable_insert(-1, &c.entry));
  cr_assert_not(ts_fdtable_insert(TS_FDTABLE_MAX_FD, &c.entry));
  cr_assert_eq(atomic_load(&c.entry.refs), 1);
}

Test(fdtable, next_walks_in_order) {
  struct counted c;
  counted_init(&c);
  int fds[] = {4, 1023, 1024, 50000};
  for (size_t i = 0; i < 4; i++) {
    cr_assert(ts_fdtable_insert(fds[i], &c.entry));
  }
  cr_assert_eq(ts_fdtable_next(0), 4);
  cr_assert_eq(ts_fdtable_next(5), 1023);
  cr_assert_eq(ts_fdtable_next(1024), 1024);
  cr_assert_eq(ts_fdtable_next(1025), 50000);
  cr_assert_eq(ts_fdtable_next(50001), -1);
  for (size_t i = 0; i < 4; i++) {
    int last = 0;
    ts_fdentry_unref(ts_fdtable_remove(fds[i], &last));
  }
  cr_assert_eq(ts_fdtable_next(0), -1);
}

struct race {
  struct counted *c;
  int rounds;
};

static void *get_put_loop(void *arg) {
  struct race *r = arg;
  for (int i = 0; i < r->rounds; i++) {
    ts_fdentry_unref(ts_fdtable_get(42));
  }
  return NULL;
}

// Lookups racing with insert/remove never see a released entry.
Test(fdtable, lookups_race_with_removal) {
  struct counted c;
  counted_init(&c);
  struct race r = {&c, 200000};
  pthread_t t;
  pthread_create(&t, NULL, get_put_loop, &r);
  for (int i = 0; i < 20000; i++) {
    cr_assert(ts_fdtable_insert(42, &c.entry));
    int last = 0;
    ts_fdentry_unref(ts_fdtable_remove(42, &last));
  }
  pthread_join(t, NULL);
  cr_assert_eq(atomic_load(&c.entry.refs), 1);
  cr_assert_eq(c.released, 0);
}
