/* A fake mounterd for the end-to-end tests: a forked child serving a SOCK_SEQPACKET socket.
 * It appends each request to a log as one line,
 *   op=OP nfds=N dev=D t1=SOURCE t2=TARGET t3=FSTYPE t4=FLAGS t5=DATA t6=FD t7=UMOUNT_FLAGS
 * (fields in the order received; D names the attached fd: null, fuse, other, or - when
 * not exactly one arrived), and answers by the target: "refuse" -> EPERM with a message,
 * "hang" -> no answer, "garbage" -> not a protocol message, "withfd" -> success with a
 * stray fd attached, else success. */
#ifndef FAKE_MOUNTERD_H
#define FAKE_MOUNTERD_H

#include <sys/types.h>

/* Binds sock_path (mode 0666) and forks the server; exits the test on failure. */
pid_t fake_mounterd_start(const char *sock_path, const char *log_path);

void fake_mounterd_stop(pid_t server);

#endif
