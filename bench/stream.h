// stream.h — one connection of bench/stream, with or without TLS of its
// own. stream.c runs the sender's and the receiver's loops, both in one
// thread over every stream as iperf3 runs them; stream_plain.c (stream)
// and stream_bssl.c (stream-bssl) each implement this.
#ifndef TLSSHIM_BENCH_STREAM_H
#define TLSSHIM_BENCH_STREAM_H

#include <sys/types.h>

// The arguments stream_init takes on each side, for stream's usage message.
extern const char stream_recv_usage[];
extern const char stream_send_usage[];

// stream_init takes the arguments after stream's own; |sender| tells the
// side. 0 if they are wrong or the set-up failed (with a message).
int stream_init(int sender, int argc, char **argv);

// stream_open takes a connected, still blocking socket and makes it ready to
// carry data (for TLS: the handshake); NULL on failure.
struct stream *stream_open(int fd, int sender);

// stream_send sends from |buf| on the now non-blocking socket: the count
// taken, or -1 with errno (EAGAIN: wait until writable, then repeat the
// same call).
ssize_t stream_send(struct stream *s, const void *buf, size_t len);

// stream_recv fills |buf| with what can be read without waiting, as one
// read() under tlsshim does: the count, 0 at the end of the stream, or -1
// with errno (EAGAIN: nothing yet).
ssize_t stream_recv(struct stream *s, void *buf, size_t len);

// stream_finish sends the rest of the block, |len| bytes at |buf| (the
// arguments of the last stream_send, if that one was refused), on the now
// blocking socket and ends the stream (for TLS, close_notify); 0 on failure.
// stream_free releases it.
int stream_finish(struct stream *s, const void *buf, size_t len);
void stream_free(struct stream *s);

#endif  // TLSSHIM_BENCH_STREAM_H
