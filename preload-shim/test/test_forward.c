/* End-to-end test of libmounter-preload.so against a fake mounterd (fake_mounterd.h).
 * Usage: test_forward LIBRARY PROBE
 * Every target lies under /nonexistent-mounter-test, so a call that wrongly reaches the
 * real mount(2)/umount2(2) fails with ENOENT and changes nothing on this machine. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fake_mounterd.h"
#include "test_exec.h"

#define ROOT "/nonexistent-mounter-test"
#define PREFIX ROOT "/kubelet"

static char dir[] = "/tmp/mounter-forward-XXXXXX";
static char sock_path[128], log_path[128], out_path[128], err_path[128], conf_path[128];
static const char *lib, *probe;

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

#define NOBODY 65534

static char *const as_nobody_argv[] = {"setpriv", "--reuid=65534", "--regid=65534",
                                       "--clear-groups"};
#define AS_NOBODY_WORDS ((int)(sizeof as_nobody_argv / sizeof *as_nobody_argv))

/* The probe through MOUNTER_TEST_EXEC_PREFIX (test_exec.h), as uid 65534 through setpriv
 * if asked. LD_PRELOAD then names the aarch64 shim, and the host's ld.so would print an
 * error about it on stderr in every dynamically linked host program on the way (setpriv):
 * env(1) sets it just before the emulator, a static one (qemu-aarch64-static) that ignores
 * it and passes its environment on to the probe. */
static void exec_probe_wrapped(char *const args[], int as_nobody)
{
    char *argv[TEST_EXEC_MAX_WORDS];
    static char preload[4200];
    int n = 0;
    for (; as_nobody && n < AS_NOBODY_WORDS; n++)
        argv[n] = as_nobody_argv[n];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", lib);
    unsetenv("LD_PRELOAD");
    argv[n++] = "env";
    argv[n++] = preload;
    test_exec_command(probe, args, argv + n, TEST_EXEC_MAX_WORDS - n);
    execvp(argv[0], argv);
}

/* env: NULL-terminated "NAME=value" overrides applied after the defaults. With as_nobody,
 * the probe runs as uid/gid 65534 through setpriv (which keeps the environment). */
static void run_probe_as(struct result *r, const char *const env[], char *const args[],
                         int as_nobody)
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
        if (test_exec_wrapped()) {
            exec_probe_wrapped(args, as_nobody);
        } else if (as_nobody) {
            char *argv[64] = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
            for (int i = 0; args[i] != NULL && i < 59; i++)
                argv[4 + i] = args[i];
            execvp("setpriv", argv);
        } else {
            execv(probe, args);
        }
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

static void run_probe(struct result *r, const char *const env[], char *const args[])
{
    run_probe_as(r, env, args, 0);
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
    snprintf(want, sizeof want, "op=1 nfds=1 dev=null t1=src t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd=%d,rootmode=40000 t6=%d", ROOT "/some/target", r.fd, r.fd);
    expect_log("mount fuse.sshfs", &r, want);
    expect_quiet("mount fuse.sshfs", &r);

    run_probe(&r, NULL, ARGS("fork", "mount", "src", ROOT "/some/target", "fuse.sshfs", "6",
                             "fd={fd},rootmode=40000"));
    expect_call("mount from a forked child", &r, 0, EXDEV);
    snprintf(want, sizeof want, "op=1 nfds=1 dev=null t1=src t2=%s t3=fuse.sshfs t4=6 "
             "t5=fd=%d,rootmode=40000 t6=%d", ROOT "/some/target", r.fd, r.fd);
    expect_log("forked child", &r, want);

    run_probe(&r, NULL, ARGS("mount", "", ROOT "/t", "fuse", "3236757504", ""));
    expect_call("mount without fd=, source or data", &r, 0, EXDEV);
    expect_log("no fd", &r, "op=1 nfds=0 dev=- t2=" ROOT "/t t3=fuse t4=0");

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
    expect_log("umount2", &r, "op=2 nfds=0 dev=- t2=" PREFIX "/pods/p/v t7=2");
    expect_quiet("umount2", &r);

    run_probe(&r, NULL, ARGS("umount", PREFIX "/pods/p/w"));
    expect_call("umount under the prefix forwarded", &r, 0, EXDEV);
    expect_log("umount", &r, "op=2 nfds=0 dev=- t2=" PREFIX "/pods/p/w t7=0");

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

/* qemu user mode (7.2, Debian 12) does not implement fsopen(2) and answers ENOSYS itself,
 * never asking the kernel. Under the exec wrapper the harness runs under the same emulator,
 * so a call of its own tells; natively the answer is always no. */
static int fsopen_emulated_enosys(void)
{
    if (!test_exec_wrapped())
        return 0;
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs >= 0)
        close(fs);
    return fs < 0 && errno == ENOSYS;
}

static void test_fsopen(void)
{
    struct result r;
    run_probe(&r, NULL, ARGS("fsopen", "fuse.sshfs"));
    expect_call("fsopen fuse.sshfs: ENOSYS (libmount falls back)", &r, -1, ENOSYS);
    expect_log("fsopen fuse.sshfs", &r, NULL);
    expect_quiet("fsopen fuse.sshfs", &r);

    run_probe(&r, NULL, ARGS("fsopen", "fuse"));
    expect_call("fsopen fuse: ENOSYS", &r, -1, ENOSYS);

    /* As root the real fsopen answers with a descriptor (the probe closes it). */
    run_probe(&r, NULL, ARGS("fsopen", "tmpfs"));
    if (fsopen_emulated_enosys())
        expect_call("fsopen tmpfs reaches qemu (ENOSYS there)", &r, -1, ENOSYS);
    else
        expect_call("fsopen tmpfs reaches the kernel", &r, 0, EXDEV);
    expect_quiet("fsopen tmpfs", &r);
}

/* A caller that is not root would be refused by mounterd with a noisy line; it gets the
 * kernel's own answer instead, EPERM, and nothing is sent. */
static void test_unprivileged(void)
{
    struct result r;
    run_probe_as(&r, NULL, ARGS("mount", "s", ROOT "/t", "fuse.sshfs", "6", "fd={fd}"), 1);
    expect_call("mount as uid 65534: EPERM, nothing sent", &r, -1, EPERM);
    expect_log("mount as nobody", &r, NULL);
    expect_quiet("mount as nobody", &r);

    run_probe_as(&r, NULL, ARGS("umount2", PREFIX "/pods/p/v", "2"), 1);
    expect_call("umount2 as uid 65534: EPERM, nothing sent", &r, -1, EPERM);
    expect_log("umount2 as nobody", &r, NULL);
    expect_quiet("umount2 as nobody", &r);

    /* the kernel looks the target up before it checks privileges */
    run_probe_as(&r, NULL, ARGS("mount", "none", ROOT "/tmpfs", "tmpfs", "0", ""), 1);
    expect_call("tmpfs as uid 65534 (real mount)", &r, -1, ENOENT);
    expect_log("tmpfs as nobody", &r, NULL);
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
    pid_t server = fake_mounterd_start(sock_path, log_path);
    test_mount_forwarded();
    test_mount_refused_or_unreachable();
    test_mount_local_errors();
    test_config_file();
    test_umount();
    test_fsopen();
    test_unprivileged();
    fake_mounterd_stop(server);
    const char *files[] = {sock_path, log_path, out_path, err_path, conf_path};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        unlink(files[i]);
    rmdir(dir);
    return check_summary("test_forward");
}
