/* mount-and-die: a client that dies between sending mounterd a MOUNT and reading the reply.
 *   mount-and-die COUNT DIR
 * For i in 0..COUNT-1 it makes DIR/i and forks a child that opens /dev/fuse, connects to
 * mounterd (MOUNTER_SOCKET or the default), sends a FUSE MOUNT of that descriptor onto DIR/i
 * and then SIGKILLs itself without reading the reply: at once (i % 4 == 0) or after
 * (i % 4) * 250 us, so that mounterd finds it dead before, during or after the mount. Nobody
 * else holds the descriptor: each mount that is made has no daemon. The parent checks that
 * each child died of SIGKILL after its send. Prints "sent=N" and exits 0 when all did. */
#include "mounter_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int connect_mounterd(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path = mounter_socket_path();
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
        return s;
    return -1;
}

/* The child: returns only on failure (exit status says which step). */
static int send_and_die(const char *target, int delay_us)
{
    int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fuse < 0)
        return 10;
    char data[128];
    snprintf(data, sizeof data, "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
    struct mounter_request rq = {.op = MOUNTER_OP_MOUNT, .id = 1, .source = "mount-and-die",
                                 .target = target, .fstype = "fuse.sshfs", .mount_flags = MS_NOSUID | MS_NODEV,
                                 .data = data, .fd = fuse};
    static uint8_t buf[MOUNTER_REQUEST_MAX];
    ssize_t len = mounter_encode_request(&rq, buf, sizeof buf, NULL);
    int s = connect_mounterd();
    if (len < 0 || s < 0)
        return 11;
    if (mounter_send_with_fd(s, buf, (size_t)len, fuse) != 0)
        return 12;
    if (delay_us > 0) {
        struct timespec ts = {.tv_nsec = delay_us * 1000L};
        nanosleep(&ts, NULL);
    }
    raise(SIGKILL);
    return 13;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: mount-and-die COUNT DIR\n");
        return 2;
    }
    int count = atoi(argv[1]), sent = 0;
    for (int i = 0; i < count; i++) {
        char target[4096];
        snprintf(target, sizeof target, "%s/%d", argv[2], i);
        if (mkdir(target, 0755) != 0 && errno != EEXIST) {
            perror(target);
            return 1;
        }
        pid_t pid = fork();
        if (pid == 0)
            _exit(send_and_die(target, (i % 4) * 250));
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            perror("fork/wait");
            return 1;
        }
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
            fprintf(stderr, "mount-and-die: child %d did not die after sending (status %d)\n", i, status);
            return 1;
        }
        sent++;
    }
    printf("sent=%d\n", sent);
    return 0;
}
