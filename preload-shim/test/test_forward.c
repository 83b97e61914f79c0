/* End-to-end test of libmounter-preload.so against a fake mounterd.
 * Usage: test_forward LIBRARY PROBE
 * The fake server (a forked child) logs each request it receives as one line and answers
 * by the target: "refuse" -> EPERM with a message, "hang" -> no answer, "garbage" -> not
 * a protocol message, "withfd" -> success with a stray fd attached, else success.
 * Every target lies under /nonexistent-mounter-test, so a call that wrongly reaches the
 * real mount(2)/umount2(2) fails with ENOENT and changes nothing on this machine. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mounter_proto.h"

#define ROOT "/nonexistent-mounter-test"
#define PREFIX ROOT "/kubelet"

static char dir[] = "/tmp/mounter-forward-XXXXXX";
static char sock_path[128], log_path[128], out_path[128], err_path[128], conf_path[128];
static const char *lib, *probe;

/* ---- the fake mounterd ---- */

struct request {
    uint16_t op;
    char text[6000]; /* the logged form */
};

static int is_dev_null(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

static void describe(const uint8_t *buf, size_t len, const int *fds, int nfds,
                     struct request *rq)
{
    struct mounter_fields it = {buf + MOUNTER_HEADER_SIZE, buf + len};
    const uint8_t *v;
    uint16_t tag, n;
    size_t off;
    rq->op = len >= MOUNTER_HEADER_SIZE ? mounter_get_u16(buf + 6) : 0;
    off = (size_t)sprintf(rq->text, "op=%u nfds=%d isnull=%d", rq->op, nfds,
                          nfds == 1 && is_dev_null(fds[0]));
    while (mounter_fields_next(&it, &tag, &v, &n) == 1 && off < sizeof rq->text - 64) {
        if (tag == MOUNTER_TAG_MOUNT_FLAGS && n == 8)
            off += (size_t)sprintf(rq->text + off, " t4=%llu",
                                   (unsigned long long)mounter_get_u64(v));
        else if ((tag == MOUNTER_TAG_FD || tag == MOUNTER_TAG_UMOUNT_FLAGS) && n == 4)
            off += (size_t)sprintf(rq->text + off, " t%u=%u", tag, mounter_get_u32(v));
        else
            off += (size_t)snprintf(rq->text + off, sizeof rq->text - off, " t%u=%.*s", tag,
                                    (int)n, (const char *)v);
    }
}

static void send_reply(int conn, const uint8_t *req, uint32_t status, const char *msg,
                       int attach_fd)
{
    uint8_t out[MOUNTER_HEADER_SIZE + 4 + MOUNTER_MESSAGE_MAX];
    size_t m = strlen(msg);
    memcpy(out, req, 12); /* magic, version, kind, id */
    out[7] |= 0x80;
    for (int i = 0; i < 4; i++)
        out[12 + i] = (uint8_t)(status >> (8 * i));
    out[16] = MOUNTER_TAG_MESSAGE, out[17] = 0, out[18] = (uint8_t)m, out[19] = 0;
    memcpy(out + 20, msg, m);
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl = {0};
    struct iovec iov = {out, 20 + m};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (attach_fd >= 0) {
        mh.msg_control = ctl.b, mh.msg_controllen = sizeof ctl.b;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &attach_fd, sizeof(int));
    }
    sendmsg(conn, &mh, MSG_NOSIGNAL);
}

/* Handles one connection; returns 1 to keep it open (the "hang" case). */
static int serve_one(int conn)
{
    static uint8_t buf[MOUNTER_REQUEST_MAX];
    union { char b[CMSG_SPACE(sizeof(int) * 4)]; struct cmsghdr a; } ctl;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b};
    int fds[4], nfds = 0;
    struct request rq;
    ssize_t len = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
    if (len < MOUNTER_HEADER_SIZE)
        return 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfds < 4; i++)
            memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    describe(buf, (size_t)len, fds, nfds, &rq);
    int log = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    dprintf(log, "%s\n", rq.text);
    close(log);
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (strstr(rq.text, "hang"))
        return 1;
    if (strstr(rq.text, "garbage"))
        send(conn, "garbage!", 8, MSG_NOSIGNAL);
    else if (strstr(rq.text, "refuse"))
        send_reply(conn, buf, EPERM, "target not allowed by policy", -1);
    else if (strstr(rq.text, "withfd")) {
        int stray = open("/dev/null", O_RDONLY | O_CLOEXEC);
        send_reply(conn, buf, 0, "", stray);
        close(stray);
    } else {
        send_reply(conn, buf, 0, "", -1);
    }
    return 0;
}

static pid_t start_server(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, sock_path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 16) < 0) {
        perror("fake mounterd");
        exit(1);
    }
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            int conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
            if (conn >= 0 && !serve_one(conn))
                close(conn);
        }
    }
    close(s);
    return pid;
}

/* ---- running the probe ---- */

struct result {
    int ret, err, fd, before, after, kept, parsed;
    char stderr_text[8192];
    int stderr_lines;
    char log[16384];
    int log_lines;
};

static size_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : 0;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? (size_t)n : 0;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* env: NULL-terminated "NAME=value" overrides applied after the defaults. */
static void run_probe(struct result *r, const char *const env[], char *const args[])
{
    truncate(log_path, 0);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LD_PRELOAD", lib, 1);
        setenv("MOUNTER_SOCKET", sock_path, 1);
        setenv("MOUNTER_PRELOAD_CONFIG", "/nonexistent/preload.conf", 1);
        setenv("MOUNTER_FORWARD_UMOUNT_PREFIXES", PREFIX, 1);
        unsetenv("MOUNTER_FORWARD_FSTYPES");
        unsetenv("MOUNTER_TIMEOUT_SECONDS");
        for (int i = 0; env != NULL && env[i] != NULL; i++)
            putenv((char *)env[i]);
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1), dup2(e, 2);
        execv(probe, args);
        _exit(127);
    }
    int status;
    char out[512];
    waitpid(pid, &status, 0);
    slurp(out_path, out, sizeof out);
    r->parsed = sscanf(out, "ret=%d errno=%d fd=%d fds_before=%d fds_after=%d flags_kept=%d",
                       &r->ret, &r->err, &r->fd, &r->before, &r->after, &r->kept) == 6;
    slurp(err_path, r->stderr_text, sizeof r->stderr_text);
    r->stderr_lines = count_lines(r->stderr_text);
    slurp(log_path, r->log, sizeof r->log);
    r->log_lines = count_lines(r->log);
}

#define ARGS(...) ((char *const[]){(char *)probe, __VA_ARGS__, NULL})
#define ENV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void expect_call(const char *name, const struct result *r, int ret, int err)
{
    printf("  %-44s ret=%d errno=%d requests=%d stderr=%s", name, r->ret, r->err,
           r->log_lines, r->stderr_lines ? r->stderr_text : "(none)\n");
    fflush(stdout);
    CHECK(r->parsed, "%s: probe output unreadable", name);
    CHECK(r->ret == ret && r->err == err, "%s: ret=%d errno=%d, want %d/%d", name, r->ret,
          r->err, ret, err);
    CHECK(r->before == r->after, "%s: fd count %d -> %d", name, r->before, r->after);
    CHECK(r->kept, "%s: the fd's flags changed", name);
}

static void expect_quiet(const char *name, const struct result *r)
{
    CHECK(r->stderr_lines == 0 && r->stderr_text[0] == '\0', "%s: stderr: %s", name,
          r->stderr_text);
}

static void expect_line(const char *name, const struct result *r, const char *want)
{
    CHECK(r->stderr_lines == 1 && strcmp(r->stderr_text, want) == 0,
          "%s: stderr %s, want %s", name, r->stderr_text, want);
}

static void expect_log(const char *name, const struct result *r, const char *want)
{
    CHECK(r->log_lines == (want ? 1 : 0), "%s: %d requests seen", name, r->log_lines);
    if (want != NULL) {
        char line[512];
        snprintf(line, sizeof line, "%s\n", want);
        CHECK(strcmp(r->log, line) == 0, "%s: server saw\n    %s  want\n    %s", name, r->log, line);
    }
}

/* ---- the scenarios ---- */

static void test_mount_forwarded(void)
{
    struct result r;
    char want[512];
    run_probe(&r, NULL, ARGS("mount", "src", ROOT "/some/target", "fuse.sshfs", "6",
                             "fd={fd},rootmode=40000"));
    expect_call("mount fuse.sshfs forwarded, status 0", &r, 0, EXDEV);
    snprintf(want, sizeof want, "op=1 nfds=1 isnull=1 t1=src t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd=%d,rootmode=40000 t6=%d", ROOT "/some/target", r.fd, r.fd);
    expect_log("mount fuse.sshfs", &r, want);
    expect_quiet("mount fuse.sshfs", &r);

    run_probe(&r, NULL, ARGS("fork", "mount", "src", ROOT "/some/target", "fuse.sshfs", "6",
                             "fd={fd},rootmode=40000"));
    expect_call("mount from a forked child", &r, 0, EXDEV);
    snprintf(want, sizeof want, "op=1 nfds=1 isnull=1 t1=src t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd=%d,rootmode=40000 t6=%d", ROOT "/some/target", r.fd, r.fd);
    expect_log("forked child", &r, want);

    run_probe(&r, NULL, ARGS("mount", "", ROOT "/t", "fuse", "3236757504", ""));
    expect_call("mount without fd=, source or data", &r, 0, EXDEV);
    expect_log("no fd", &r, "op=1 nfds=0 isnull=0 t2=" ROOT "/t t3=fuse t4=0");

    run_probe(&r, NULL, ARGS("mount", "s", ROOT "/withfd", "fuse", "0", "fd={fd}"));
    expect_call("reply carrying a stray fd (closed)", &r, 0, EXDEV);
    expect_quiet("stray fd", &r);
}

static void test_mount_refused_or_unreachable(void)
{
    struct result r;
    char want[512];
    run_probe(&r, NULL, ARGS("mount", "s", ROOT "/refuse", "fuse.sshfs", "6", "fd={fd}"));
    expect_call("mount refused by mounterd", &r, -1, EPERM);
    expect_line("refused", &r, "mounter-preload: mount " ROOT "/refuse: target not allowed by policy\n");

    snprintf(want, sizeof want, "MOUNTER_SOCKET=%s/absent.sock", dir);
    run_probe(&r, ENV(want), ARGS("mount", "s", ROOT "/t", "fuse.sshfs", "6", "fd={fd}"));
    expect_call("mount with no mounterd", &r, -1, EHOSTDOWN);
    snprintf(want, sizeof want, "mounter-preload: cannot reach mounterd at %s/absent.sock: "
             "No such file or directory\n", dir);
    expect_line("no server", &r, want);

    run_probe(&r, ENV("MOUNTER_TIMEOUT_SECONDS=1"),
              ARGS("mount", "s", ROOT "/hang", "fuse.sshfs", "6", "fd={fd}"));
    expect_call("mount, mounterd silent (1 s timeout)", &r, -1, EHOSTDOWN);
    snprintf(want, sizeof want, "mounter-preload: cannot reach mounterd at %s: "
             "Connection timed out\n", sock_path);
    expect_line("timeout", &r, want);

    run_probe(&r, NULL, ARGS("mount", "s", ROOT "/garbage", "fuse", "0", "fd={fd}"));
    expect_call("mount, malformed reply", &r, -1, EHOSTDOWN);
    snprintf(want, sizeof want, "mounter-preload: cannot reach mounterd at %s: Bad message\n",
             sock_path);
    expect_line("garbage", &r, want);
}

static void test_mount_local_errors(void)
{
    struct result r;
    static char big[5000];
    memset(big, 'x', sizeof big - 1);
    run_probe(&r, NULL, ARGS("mount", "s", ROOT "/t", "fuse", "0", big));
    expect_call("mount, options over 4096 bytes", &r, -1, EINVAL);
    expect_log("too long", &r, NULL);
    expect_line("too long", &r, "mounter-preload: mount " ROOT "/t: mount options longer than 4096 bytes\n");

    run_probe(&r, NULL, ARGS("mount", "s", ROOT "/t", "fuse", "0", "fd=999,rootmode=40000"));
    expect_call("mount, fd= names a closed fd", &r, -1, EBADF);
    expect_log("closed fd", &r, NULL);
    CHECK(r.stderr_lines == 1, "closed fd: one stderr line");

    run_probe(&r, NULL, ARGS("mount", "none", ROOT "/tmpfs", "tmpfs", "0", "size=1m"));
    expect_call("tmpfs not forwarded (real mount)", &r, -1, ENOENT);
    expect_log("tmpfs", &r, NULL);
    expect_quiet("tmpfs", &r);
}

static void test_config_file(void)
{
    struct result r;
    char env[160];
    int fd = open(conf_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dprintf(fd, "# test\nforward-fstype fuse.only\n");
    close(fd);
    snprintf(env, sizeof env, "MOUNTER_PRELOAD_CONFIG=%s", conf_path);
    run_probe(&r, ENV(env), ARGS("mount", "s", ROOT "/t", "fuse.sshfs", "6", "fd={fd}"));
    expect_call("config file: fuse.sshfs not forwarded", &r, -1, ENOENT);
    expect_log("config file", &r, NULL);
    run_probe(&r, ENV(env), ARGS("mount", "s", ROOT "/t", "fuse.only", "6", "fd={fd}"));
    expect_call("config file: fuse.only forwarded", &r, 0, EXDEV);
    CHECK(r.log_lines == 1, "config file: fuse.only reached the server");
    run_probe(&r, ENV(env, "MOUNTER_FORWARD_FSTYPES=fuse.sshfs"),
              ARGS("mount", "s", ROOT "/t", "fuse.sshfs", "6", "fd={fd}"));
    expect_call("env wins over config file", &r, 0, EXDEV);
}

static void test_umount(void)
{
    struct result r;
    run_probe(&r, NULL, ARGS("umount2", PREFIX "/pods/p/v", "2"));
    expect_call("umount2 under the prefix forwarded", &r, 0, EXDEV);
    expect_log("umount2", &r, "op=2 nfds=0 isnull=0 t2=" PREFIX "/pods/p/v t7=2");
    expect_quiet("umount2", &r);

    run_probe(&r, NULL, ARGS("umount", PREFIX "/pods/p/w"));
    expect_call("umount under the prefix forwarded", &r, 0, EXDEV);
    expect_log("umount", &r, "op=2 nfds=0 isnull=0 t2=" PREFIX "/pods/p/w t7=0");

    run_probe(&r, NULL, ARGS("umount2", PREFIX "/refuse", "0"));
    expect_call("umount2 refused", &r, -1, EPERM);
    expect_line("umount refused", &r, "mounter-preload: umount " PREFIX "/refuse: target not allowed by policy\n");

    run_probe(&r, NULL, ARGS("umount2", PREFIX "x/pods/p/v", "0"));
    expect_call("umount2 outside the prefix (real)", &r, -1, ENOENT);
    expect_log("outside", &r, NULL);

    run_probe(&r, NULL, ARGS("umount", "nonexistent-mounter-test/kubelet/x"));
    expect_call("umount of a relative path (real)", &r, -1, ENOENT);
    expect_log("relative", &r, NULL);
}

int main(int argc, char **argv)
{
    struct stat st;
    if (argc != 3) {
        fprintf(stderr, "usage: test_forward LIBRARY PROBE\n");
        return 2;
    }
    lib = argv[1], probe = argv[2];
    if (stat(ROOT, &st) == 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "test_forward: %s exists or no temp dir\n", ROOT);
        return 1;
    }
    snprintf(sock_path, sizeof sock_path, "%s/mounter.sock", dir);
    snprintf(log_path, sizeof log_path, "%s/requests.log", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    snprintf(conf_path, sizeof conf_path, "%s/preload.conf", dir);
    pid_t server = start_server();
    test_mount_forwarded();
    test_mount_refused_or_unreachable();
    test_mount_local_errors();
    test_config_file();
    test_umount();
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    const char *files[] = {sock_path, log_path, out_path, err_path, conf_path};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    rmdir(dir);
    return check_summary("test_forward");
}
