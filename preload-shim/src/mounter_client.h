/* One request/reply exchange with mounterd over its AF_UNIX SOCK_SEQPACKET socket. */
#ifndef MOUNTER_CLIENT_H
#define MOUNTER_CLIENT_H

#include "mounter_proto.h"

#define MOUNTER_DEFAULT_SOCKET "/run/mounter/mounter.sock"
#define MOUNTER_DEFAULT_TIMEOUT_SECONDS 120

/* The socket path: env MOUNTER_SOCKET, else MOUNTER_DEFAULT_SOCKET. Setuid and setgid
 * programs ignore the environment here (secure_getenv), MOUNTER_TIMEOUT_SECONDS too. */
const char *mounter_socket_path(void);

/* Sends rq (with rq->fd attached as SCM_RIGHTS when rq->fd >= 0) on a fresh connection
 * and waits for the reply (timeout: env MOUNTER_TIMEOUT_SECONDS, default 120 s).
 * Returns 0 with *out filled when mounterd answered. A request that cannot be encoded is
 * not sent: 0 with out->status = EINVAL and the reason in out->message.
 * Returns -1 with errno set when mounterd could not be reached: connect/send/receive
 * error, ETIMEDOUT, ECONNRESET (closed without reply), EBADMSG or EPROTONOSUPPORT
 * (malformed reply), ENOMEM. Any fds that arrive with the reply are closed; the socket
 * is closed before returning. Does not print. */
int mounter_client_call(const struct mounter_request *rq, struct mounter_reply *out);

/* mounter_client_call with the given timeout (seconds, > 0) instead of the environment's. */
int mounter_client_call_within(const struct mounter_request *rq, struct mounter_reply *out,
                               long seconds);

/* One sendmsg of buf on socket s, with fd attached as SCM_RIGHTS when fd >= 0; retries
 * EINTR, never raises SIGPIPE. Returns 0 when all of buf went, else -1 with errno set
 * (ETIMEDOUT for a send timeout, EMSGSIZE for a short send). */
int mounter_send_with_fd(int s, const void *buf, size_t len, int fd);

#endif
