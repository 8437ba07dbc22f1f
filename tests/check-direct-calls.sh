#!/usr/bin/env bash
# Fails when code inside the preload calls a hooked libc name directly instead
# of through TS_REAL(name): such a call would re-enter the hooks. A hook's own
# definition (`TS_EXPORT ... name(`) is not a call; comments and strings are
# ignored.
set -euo pipefail
dir=${1:-shim/preload}
names='read|write|readv|writev|recv|send|recvfrom|sendto|recvmsg|sendmsg|sendmmsg|recvmmsg|preadv2|pwritev2|preadv64v2|pwritev64v2|connect|accept|accept4|listen|close|close_range|shutdown|dup|dup2|dup3|fcntl|fcntl64|ioctl|getsockopt|poll|ppoll|select|pselect|epoll_ctl|epoll_wait|epoll_pwait|sendfile|sendfile64|splice|getaddrinfo|gethostbyname|gethostbyname_r|fdopen|freopen|freopen64|aio_read|aio_write|aio_read64|aio_write64|lio_listio|lio_listio64|dprintf|vdprintf|__dprintf_chk|__vdprintf_chk|fork|vfork'
status=0
while IFS= read -r file; do
  hits=$(sed -E 's#//.*$##; s#"([^"\\]|\\.)*"#""#g' "$file" \
    | grep -nE "(^|[^_a-zA-Z0-9>.])($names)[[:space:]]*\(" \
    | grep -vE '^[0-9]+:[[:space:]]*(\*|/\*)' \
    | grep -vE 'TS_EXPORT|TS_REAL\(|#define|X\(' \
    | grep -vE '^[0-9]+:[[:space:]]*(static[[:space:]]+)?(inline[[:space:]]+)?(ssize_t|int|FILE|pid_t|struct hostent)[[:space:]]+\*?($names)\(' || true)
  if [ -n "$hits" ]; then
    echo "check-direct-calls: $file calls hooked names directly (use TS_REAL(name)):" >&2
    echo "$hits" >&2
    status=1
  fi
done < <(find "$dir" -name '*.c' | sort)
exit $status
