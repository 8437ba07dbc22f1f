// test_preload_list.c — the LD_PRELOAD value `tlsshim run` builds: the
// library first, the program's own preloads kept after it, and the library
// never listed twice, however an existing entry spells it.
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../shim/launcher/launcher.h"

// A real file standing in for the library, and a link to it, in a fresh
// directory; |lib| is the file's absolute path, as run.c passes it.
static char dir[] = "/tmp/tlsshim-preload-XXXXXX";
static char lib[PATH_MAX];
static char link_path[PATH_MAX];

static void make_library(void) {
  cr_assert_not_null(mkdtemp(dir));
  char file[PATH_MAX];
  snprintf(file, sizeof(file), "%s/libtlsshim.so", dir);
  FILE *f = fopen(file, "w");
  cr_assert_not_null(f);
  fclose(f);
  cr_assert_not_null(realpath(file, lib));
  snprintf(link_path, sizeof(link_path), "%s/link.so", dir);
  cr_assert_eq(symlink(lib, link_path), 0);
}

static void remove_library(void) {
  unlink(link_path);
  unlink(lib);
  rmdir(dir);
}

TestSuite(preload_list, .init = make_library, .fini = remove_library);

static void expect(const char *existing, const char *want) {
  char *got = ts_preload_list_with(existing, lib);
  cr_assert_not_null(got);
  cr_assert_str_eq(got, want, "LD_PRELOAD '%s' became '%s'",
                   existing ? existing : "(unset)", got);
  free(got);
}

Test(preload_list, unset_or_empty_gives_the_library_alone) {
  expect(NULL, lib);
  expect("", lib);
  expect(" : ", lib);
}

Test(preload_list, existing_preloads_follow_the_library) {
  char want[2 * PATH_MAX];
  snprintf(want, sizeof(want), "%s:/usr/lib/libother.so", lib);
  expect("/usr/lib/libother.so", want);
  snprintf(want, sizeof(want), "%s:a.so b.so", lib);
  expect("a.so b.so", want);
}

Test(preload_list, library_already_listed_is_kept_as_is) {
  char existing[2 * PATH_MAX];
  snprintf(existing, sizeof(existing), "a.so %s", lib);
  expect(existing, existing);
  snprintf(existing, sizeof(existing), "%s:b.so", lib);
  expect(existing, existing);
}

Test(preload_list, library_through_a_link_or_relative_path_counts) {
  char existing[2 * PATH_MAX];
  snprintf(existing, sizeof(existing), "a.so:%s", link_path);
  expect(existing, existing);
  char cwd[PATH_MAX];
  cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
  cr_assert_eq(chdir(dir), 0);
  expect("./libtlsshim.so", "./libtlsshim.so");
  cr_assert_eq(chdir(cwd), 0);
}

Test(preload_list, a_longer_name_is_another_library) {
  char existing[PATH_MAX + 8];
  snprintf(existing, sizeof(existing), "%s.bak", lib);
  char want[3 * PATH_MAX];
  snprintf(want, sizeof(want), "%s:%s", lib, existing);
  expect(existing, want);
}
