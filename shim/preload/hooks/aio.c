// aio.c — POSIX asynchronous I/O on a TLS socket is refused. glibc carries
// out aio requests on threads of its own with its internal read and write,
// which no hook sees: the bytes would leave in plaintext and arrive as
// ciphertext. A request on a TLS descriptor fails with ENOSYS, as where aio
// is not implemented (programs that check fall back to ordinary I/O), and
// lio_listio submits nothing of a list that holds one.
#include <aio.h>

#include "../log.h"
#include "hook.h"

static int refuses(int fd) {
  struct ts_conn *conn = ts_conn_get(fd);
  if (conn == NULL) {
    return 0;
  }
  ts_log_error("%s: asynchronous I/O (aio) is refused on a TLS connection",
               conn->label);
  ts_conn_put(conn);
  errno = ENOSYS;
  return 1;
}

static int list_refuses(struct aiocb *const list[], int nent) {
  for (int i = 0; list != NULL && i < nent; i++) {
    if (list[i] != NULL && list[i]->aio_lio_opcode != LIO_NOP &&
        refuses(list[i]->aio_fildes)) {
      return 1;
    }
  }
  return 0;
}

TS_EXPORT int aio_read(struct aiocb *cb) {
  return refuses(cb->aio_fildes) ? -1 : TS_REAL(aio_read)(cb);
}

TS_EXPORT int aio_write(struct aiocb *cb) {
  return refuses(cb->aio_fildes) ? -1 : TS_REAL(aio_write)(cb);
}

TS_EXPORT int aio_read64(struct aiocb64 *cb) {
  return refuses(cb->aio_fildes) ? -1 : TS_REAL(aio_read64)(cb);
}

TS_EXPORT int aio_write64(struct aiocb64 *cb) {
  return refuses(cb->aio_fildes) ? -1 : TS_REAL(aio_write64)(cb);
}

TS_EXPORT int lio_listio(int mode, struct aiocb *const list[], int nent,
                         struct sigevent *sev) {
  return list_refuses(list, nent) ? -1
                                  : TS_REAL(lio_listio)(mode, list, nent, sev);
}

TS_EXPORT int lio_listio64(int mode, struct aiocb64 *const list[], int nent,
                           struct sigevent *sev) {
  return list_refuses((struct aiocb *const *)list, nent)
             ? -1
             : TS_REAL(lio_listio64)(mode, list, nent, sev);
}
