// privileges.c — a process about to give up privileges loads its TLS files
// first.
//
// Daemons such as memcached (-u) change to an unprivileged user, or chroot,
// before they listen or connect; the configuration would then be loaded
// lazily by a process that can no longer read the rule's key (or reach the
// engine, after chroot). So each call that can take away what reading those
// files needs loads them first (runtime.h: ts_runtime_prepare): a change of
// user or groups, the TLS contexts of the rules that hold a private key;
// chroot, every rule's and the engine. A program that never changes its
// credentials never pays for it.
#include <grp.h>
#include <unistd.h>

#include "../runtime.h"
#include "hook.h"

TS_EXPORT int setuid(uid_t uid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setuid)(uid);
}

TS_EXPORT int seteuid(uid_t uid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(seteuid)(uid);
}

TS_EXPORT int setreuid(uid_t ruid, uid_t euid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setreuid)(ruid, euid);
}

TS_EXPORT int setresuid(uid_t ruid, uid_t euid, uid_t suid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setresuid)(ruid, euid, suid);
}

TS_EXPORT int setgid(gid_t gid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setgid)(gid);
}

TS_EXPORT int setegid(gid_t gid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setegid)(gid);
}

TS_EXPORT int setregid(gid_t rgid, gid_t egid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setregid)(rgid, egid);
}

TS_EXPORT int setresgid(gid_t rgid, gid_t egid, gid_t sgid) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setresgid)(rgid, egid, sgid);
}

TS_EXPORT int setgroups(size_t n, const gid_t *groups) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(setgroups)(n, groups);
}

TS_EXPORT int initgroups(const char *user, gid_t group) {
  ts_runtime_prepare(TS_PREPARE_KEYS);
  return TS_REAL(initgroups)(user, group);
}

TS_EXPORT int chroot(const char *path) {
  ts_runtime_prepare(TS_PREPARE_ALL);
  return TS_REAL(chroot)(path);
}
