/* End-to-end test of the fusermount stand-in against a fake mounterd (fake_mounterd.h).
 * The test plays the FUSE daemon: libfuse and rclone (_FUSE_COMMFD: a socketpair, the
 * /dev/fuse descriptor comes back with one zero byte), glusterfs (_FUSE_DEVFD: its own
 * descriptor, nothing comes back), and callers of -u.
 * Usage: test_fusermount STAND_IN
 * Nothing is mounted: the fake server only logs and answers. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fake_mounterd.h"
#include "test_exec.h"

#define NOBODY 65534

static char dir[] = "/tmp/mounter-fusermount-XXXXXX";
static char sock_path[128], log_path[128], out_path[128], err_path[128];
static char mnt[128], refuse[128], user_mnt[128], sticky[128], link_mnt[128];
static const char *stand_in;

struct call {
    const char *const *args; /* after argv[0], which is "fusermount3" */
    int commfd;              /* pass one end of a socketpair as _FUSE_COMMFD */
    int devfd;               /* > 0: pass it as _FUSE_DEVFD */
    const char *commfd_env;  /* else this as _FUSE_COMMFD */
    int as_nobody;           /* run as uid/gid 65534 */
    int std_closed;          /* run with stdout and stderr closed, as libfuse's quiet try */
    const char *socket;      /* MOUNTER_SOCKET, default the fake server's */
};

struct run {
    int status;       /* exit status, or -1 */
    int received_fd;  /* what came back over _FUSE_COMMFD, or -1 */
    int byte;         /* the byte that came with it, or -1 */
    char out[1024], err[4096], log[8192];
    int log_lines;
};

static void slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : 0;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
}

static void exec_child(const struct call *c, int commfd)
{
    char num[16];
    const char *argv[16] = {"fusermount3"};
    for (int i = 0; c->args[i] != NULL && i < 14; i++)
        argv[i + 1] = c->args[i];
    setenv("MOUNTER_SOCKET", c->socket ? c->socket : sock_path, 1);
    unsetenv("_FUSE_COMMFD"), unsetenv("_FUSE_DEVFD");
    if (commfd >= 0) {
        fcntl(commfd, F_SETFD, 0);
        snprintf(num, sizeof num, "%d", commfd);
        setenv("_FUSE_COMMFD", num, 1);
    } else if (c->commfd_env != NULL) {
        setenv("_FUSE_COMMFD", c->commfd_env, 1);
    }
    if (c->devfd > 0) {
        snprintf(num, sizeof num, "%d", c->devfd);
        setenv("_FUSE_DEVFD", num, 1);
    }
    int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, 1), dup2(e, 2), close(o), close(e);
    if (c->std_closed)
        close(1), close(2);
    if (chdir(dir) < 0 || (c->as_nobody && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
                                            setuid(NOBODY) < 0)))
        _exit(126);
    test_exec(stand_in, (char *const *)argv); /* execv, or through the wrapper */
    _exit(127);
}

/* What arrives over the daemon's end: 1 byte with one fd, or EOF. */
static void receive(struct run *r, int sock)
{
    union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
    unsigned char byte;
    struct iovec iov = {&byte, 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                        .msg_controllen = sizeof ctl.b};
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&mh) : NULL;
    if (n == 1)
        r->byte = byte;
    if (c != NULL && c->cmsg_type == SCM_RIGHTS)
        memcpy(&r->received_fd, CMSG_DATA(c), sizeof(int));
}

static void run(struct run *r, const struct call *c)
{
    int sp[2] = {-1, -1}, status;
    memset(r, 0, sizeof *r);
    r->received_fd = r->byte = r->status = -1;
    truncate(log_path, 0);
    if (c->commfd && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0)
        exec_child(c, sp[0]);
    if (sp[0] >= 0) {
        close(sp[0]);
        receive(r, sp[1]);
        close(sp[1]);
    }
    waitpid(pid, &status, 0);
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
    slurp(log_path, r->log, sizeof r->log);
    for (const char *s = r->log; *s; s++)
        r->log_lines += *s == '\n';
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CALL(...) (&(struct call){__VA_ARGS__})

static int is_fuse_device(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(10, 229);
}

/* The FD field the stand-in sent (its own descriptor number), or -1. */
static int sent_fd(const struct run *r)
{
    const char *t6 = strstr(r->log, " t6=");
    return t6 != NULL ? atoi(t6 + 4) : -1;
}

static void expect_status(const char *name, const struct run *r, int status, const char *err)
{
    printf("  %-48s status=%d requests=%d stderr=%s", name, r->status, r->log_lines,
           r->err[0] ? r->err : "(none)\n");
    fflush(stdout);
    CHECK(r->status == status, "%s: exit status %d, want %d", name, r->status, status);
    CHECK(strcmp(r->err, err) == 0, "%s: stderr [%s], want [%s]", name, r->err, err);
}

/* want: the log line with every "{fd}" replaced by the FD field the stand-in sent. */
static void expect_request(const char *name, const struct run *r, const char *want)
{
    char line[1024];
    size_t o = 0;
    for (const char *s = want; *s && o < sizeof line - 16;)
        if (strncmp(s, "{fd}", 4) == 0)
            o += (size_t)sprintf(line + o, "%d", sent_fd(r)), s += 4;
        else
            line[o++] = *s++;
    line[o++] = '\n', line[o] = '\0';
    CHECK(r->log_lines == 1 && strcmp(r->log, line) == 0, "%s: server saw\n    %s  want\n    %s",
          name, r->log, line);
}

static void expect_nothing_sent(const char *name, const struct run *r)
{
    CHECK(r->log_lines == 0, "%s: %d requests reached mounterd", name, r->log_lines);
}

static void expect_fd_back(const char *name, const struct run *r)
{
    CHECK(r->byte == 0, "%s: byte %d came with the fd, want 0", name, r->byte);
    CHECK(r->received_fd >= 0 && is_fuse_device(r->received_fd),
          "%s: no /dev/fuse descriptor came back (%d)", name, r->received_fd);
    if (r->received_fd >= 0)
        close(r->received_fd);
}

static void expect_nothing_back(const char *name, const struct run *r)
{
    CHECK(r->byte == -1 && r->received_fd == -1, "%s: something came back over the commfd",
          name);
}

/* ---- the scenarios ---- */

static void test_commfd(void)
{
    struct run r;
    char want[512];
    /* libfuse 3.14, as observed: "-o rw,nosuid,nodev,fsname=...,subtype=sshfs -- MNT" */
    run(&r, CALL(.args = ARGS("-o", "rw,nosuid,nodev,fsname=u@h:/d,subtype=sshfs,fd=99",
                              "--", mnt), .commfd = 1));
    expect_status("libfuse: _FUSE_COMMFD, fd sent back", &r, 0, "");
    expect_fd_back("libfuse", &r);
    snprintf(want, sizeof want, "op=1 nfds=1 dev=fuse t1=u@h:/d t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd={fd},rootmode=40000,user_id=0,group_id=0 t6={fd}", mnt);
    expect_request("libfuse", &r, want);

    /* rclone 1.60: "fusermount -o fsname=SRC,subtype=rclone -- MNT"; a relative mountpoint */
    run(&r, CALL(.args = ARGS("-o", "fsname=/src,subtype=rclone", "--", "mnt/"), .commfd = 1));
    expect_status("rclone-like, relative mountpoint", &r, 0, "");
    expect_fd_back("rclone", &r);
    snprintf(want, sizeof want, "op=1 nfds=1 dev=fuse t1=/src t2=%s t3=fuse.rclone t4=6 "
             "t5=fd={fd},rootmode=40000,user_id=0,group_id=0 t6={fd}", mnt);
    expect_request("rclone", &r, want);

    /* libfuse's quiet first try closes stdout and stderr: /dev/fuse must not become fd 1 or 2 */
    run(&r, CALL(.args = ARGS("-o", "subtype=sshfs", mnt), .commfd = 1, .std_closed = 1));
    CHECK(r.status == 0 && r.received_fd >= 0 && sent_fd(&r) > 2,
          "stdout/stderr closed: status %d, /dev/fuse was fd %d", r.status, sent_fd(&r));
    if (r.received_fd >= 0)
        close(r.received_fd);

    run(&r, CALL(.args = ARGS("--auto-unmount", "--", mnt), .commfd = 1));
    expect_status("--auto-unmount: accepted, ignored", &r, 0, "");
    expect_nothing_sent("--auto-unmount", &r);
    expect_nothing_back("--auto-unmount", &r);
}

static void test_devfd(void)
{
    struct run r;
    char want[512];
    int fuse = open("/dev/fuse", O_RDWR); /* inherited, as glusterfs's is */
    CHECK(fuse >= 0, "cannot open /dev/fuse: %s", strerror(errno));
    /* glusterfs 10 also leaves no commfd; one is set here to see that nothing goes back */
    run(&r, CALL(.args = ARGS("-o", "default_permissions,allow_other,max_read=131072,"
                              "fsname=127.0.0.2:/v1,nonempty,subtype=glusterfs", "--", mnt),
                 .commfd = 1, .devfd = fuse));
    expect_status("glusterfs: _FUSE_DEVFD, nothing sent back", &r, 0, "");
    expect_nothing_back("glusterfs", &r);
    snprintf(want, sizeof want, "op=1 nfds=1 dev=fuse t1=127.0.0.2:/v1 t2=%s t3=fuse.glusterfs "
             "t4=6 t5=default_permissions,allow_other,max_read=131072,fd=%d,rootmode=40000,"
             "user_id=0,group_id=0 t6=%d", mnt, fuse, fuse);
    expect_request("glusterfs", &r, want);
    close(fuse);

    int null = open("/dev/null", O_RDWR);
    run(&r, CALL(.args = ARGS(mnt), .devfd = null));
    expect_status("_FUSE_DEVFD not /dev/fuse", &r, 1,
                  "fusermount3: specified fuse fd is invalid\n");
    expect_nothing_sent("not /dev/fuse", &r);
    close(null);
}

static void test_mount_refusals(void)
{
    struct run r;
    char want[512];
    run(&r, CALL(.args = ARGS("-o", "subtype=sshfs", refuse), .commfd = 1));
    expect_status("mount refused by mounterd", &r, 1,
                  "fusermount3: mount failed: target not allowed by policy\n");
    expect_nothing_back("refused", &r);

    snprintf(want, sizeof want, "%s/absent.sock", dir);
    run(&r, CALL(.args = ARGS(mnt), .commfd = 1, .socket = want));
    snprintf(want, sizeof want, "fusermount3: mount failed: cannot reach mounterd at "
             "%s/absent.sock: No such file or directory\n", dir);
    expect_status("no mounterd", &r, 1, want);
    expect_nothing_back("no mounterd", &r);

    run(&r, CALL(.args = ARGS("-o", "rw,bogus", mnt), .commfd = 1));
    expect_status("unknown option", &r, 1, "fusermount3: unknown option 'bogus'\n");
    expect_nothing_sent("unknown option", &r);

    snprintf(want, sizeof want, "fusermount3: mountpoint %s is not a directory or a regular "
             "file\n", link_mnt);
    run(&r, CALL(.args = ARGS(link_mnt), .commfd = 1));
    expect_status("symlink mountpoint", &r, 1, want);
    expect_nothing_sent("symlink", &r);

    run(&r, CALL(.args = ARGS(mnt)));
    expect_status("neither _FUSE_COMMFD nor _FUSE_DEVFD", &r, 1,
                  "fusermount3: old style mounting not supported\n");
    int null = open("/dev/null", O_RDWR); /* inherited */
    snprintf(want, sizeof want, "%d", null);
    run(&r, CALL(.args = ARGS(mnt), .commfd_env = want));
    expect_status("_FUSE_COMMFD not a socket", &r, 1,
                  "fusermount3: _FUSE_COMMFD names no socket\n");
    expect_nothing_sent("commfd not a socket", &r);
    close(null);
    run(&r, CALL(.args = ARGS(mnt), .commfd_env = "3x"));
    expect_status("_FUSE_COMMFD not a number", &r, 1,
                  "fusermount3: _FUSE_COMMFD names no socket\n");
}

static void test_unmount(void)
{
    struct run r;
    char want[512];
    run(&r, CALL(.args = ARGS("-u", "-z", mnt)));
    expect_status("-u -z", &r, 0, "");
    snprintf(want, sizeof want, "op=2 nfds=0 dev=- t2=%s t7=2", mnt);
    expect_request("-u -z", &r, want);

    run(&r, CALL(.args = ARGS("--unmount", "--quiet", "--lazy", "--", mnt)));
    expect_status("--unmount --quiet --lazy (libfuse)", &r, 0, "");
    expect_request("long options", &r, want);

    run(&r, CALL(.args = ARGS("-u", mnt)));
    snprintf(want, sizeof want, "op=2 nfds=0 dev=- t2=%s t7=0", mnt);
    expect_request("-u", &r, want);

    run(&r, CALL(.args = ARGS("-u", refuse)));
    snprintf(want, sizeof want, "fusermount3: failed to unmount %s: target not allowed by "
             "policy\n", refuse);
    expect_status("-u refused", &r, 1, want);
    run(&r, CALL(.args = ARGS("-u", "-q", refuse)));
    expect_status("-u -q refused: quiet", &r, 1, "");

    run(&r, CALL(.args = ARGS("-u", "absent/x")));
    expect_status("-u below a missing directory", &r, 1,
                  "fusermount3: bad mount point absent/x: No such file or directory\n");
    expect_nothing_sent("missing directory", &r);
}

static void test_command_line(void)
{
    struct run r;
    run(&r, CALL(.args = ARGS("-V")));
    CHECK(r.status == 0 && strncmp(r.out, "fusermount3 version: ", 21) == 0, "-V: %d %s",
          r.status, r.out);
    run(&r, CALL(.args = ARGS("--version")));
    CHECK(r.status == 0 && strncmp(r.out, "fusermount3 version: ", 21) == 0, "--version");
    run(&r, CALL(.args = ARGS("-h")));
    CHECK(r.status == 1 && strncmp(r.out, "fusermount3: [options] mountpoint\n", 34) == 0,
          "-h: %d %s", r.status, r.out);
    run(&r, CALL(.args = ARGS("-x", mnt), .commfd = 1));
    CHECK(r.status == 1 && strstr(r.err, "invalid option") && strstr(r.err, "[options] mountpoint"),
          "unknown flag: usage, status 1: %d %s", r.status, r.err);
    expect_nothing_sent("unknown flag", &r);
    run(&r, CALL(.args = ARGS("-z", mnt), .commfd = 1));
    expect_status("-z without -u", &r, 1, "fusermount3: -z can only be used with -u\n");
    run(&r, CALL(.args = ARGS("-o", "ro"), .commfd = 1));
    expect_status("no mountpoint", &r, 1, "fusermount3: missing mountpoint argument\n");
    run(&r, CALL(.args = ARGS(mnt, mnt), .commfd = 1));
    expect_status("two mountpoints", &r, 1, "fusermount3: extra arguments after the mountpoint\n");
}

/* The rules for a real uid other than 0 (the stand-in is setuid root in the container;
 * here it simply runs as 65534, with a /dev/fuse descriptor handed in). */
static void test_user(void)
{
    struct run r;
    char want[512];
    int fuse = open("/dev/fuse", O_RDWR);
    run(&r, CALL(.args = ARGS("-o", "rw,suid,dev,fsname=x,subtype=sshfs,user_id=0", user_mnt),
                 .devfd = fuse, .as_nobody = 1));
    expect_status("user: own directory", &r, 0, "");
    snprintf(want, sizeof want, "op=1 nfds=1 dev=fuse t1=x t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd=%d,rootmode=40000,user_id=65534,group_id=65534 t6=%d", user_mnt, fuse, fuse);
    expect_request("user: suid, dev and user_id= ignored", &r, want);

    run(&r, CALL(.args = ARGS(mnt), .devfd = fuse, .as_nobody = 1));
    snprintf(want, sizeof want, "fusermount3: user has no write access to mountpoint %s\n", mnt);
    expect_status("user: a directory of root's", &r, 1, want);
    expect_nothing_sent("root's directory", &r);

    run(&r, CALL(.args = ARGS(sticky), .devfd = fuse, .as_nobody = 1));
    snprintf(want, sizeof want, "fusermount3: mountpoint %s not owned by user\n", sticky);
    expect_status("user: a sticky directory of root's", &r, 1, want);
    expect_nothing_sent("sticky", &r);

    run(&r, CALL(.args = ARGS("-o", "blkdev", user_mnt), .devfd = fuse, .as_nobody = 1));
    expect_status("user: blkdev", &r, 1, "fusermount3: option blkdev is privileged\n");
    close(fuse);

    run(&r, CALL(.args = ARGS("-u", "-z", user_mnt), .as_nobody = 1));
    snprintf(want, sizeof want, "fusermount3: unmounting %s as a user is not supported; the "
             "node unmounts it\n", user_mnt);
    expect_status("user: -u refused", &r, 1, want);
    expect_nothing_sent("user -u", &r);
}

/* ---- set-up ---- */

static void make_dir(const char *path, mode_t mode, uid_t owner)
{
    if (mkdir(path, mode) < 0 || chmod(path, mode) < 0 || chown(path, owner, owner) < 0) {
        perror(path);
        exit(1);
    }
}

static void set_up(void)
{
    if (mkdtemp(dir) == NULL || chmod(dir, 0755) < 0) { /* 0755: uid 65534 must get in */
        perror("test_fusermount: temp dir");
        exit(1);
    }
    snprintf(sock_path, sizeof sock_path, "%s/mounter.sock", dir);
    snprintf(log_path, sizeof log_path, "%s/requests.log", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(err_path, sizeof err_path, "%s/err", dir);
    snprintf(mnt, sizeof mnt, "%s/mnt", dir);
    snprintf(refuse, sizeof refuse, "%s/refuse", dir);
    snprintf(user_mnt, sizeof user_mnt, "%s/user", dir);
    snprintf(sticky, sizeof sticky, "%s/sticky", dir);
    snprintf(link_mnt, sizeof link_mnt, "%s/link", dir);
    make_dir(mnt, 0755, 0);
    make_dir(refuse, 0755, 0);
    make_dir(user_mnt, 0755, NOBODY);
    make_dir(sticky, 01777, 0);
    if (symlink(user_mnt, link_mnt) < 0) {
        perror(link_mnt);
        exit(1);
    }
}

static void tear_down(void)
{
    const char *files[] = {sock_path, log_path, out_path, err_path, link_mnt};
    const char *dirs[] = {mnt, refuse, user_mnt, sticky, dir};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
        rmdir(dirs[i]);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_fusermount STAND_IN\n");
        return 2;
    }
    stand_in = argv[1];
    set_up();
    pid_t server = fake_mounterd_start(sock_path, log_path);
    test_commfd();
    test_devfd();
    test_mount_refusals();
    test_unmount();
    test_command_line();
    test_user();
    fake_mounterd_stop(server);
    tear_down();
    return check_summary("test_fusermount");
}
