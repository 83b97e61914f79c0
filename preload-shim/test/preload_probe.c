/* Makes one call, as the shim in LD_PRELOAD or /etc/ld.so.preload sees it, and prints
 *   ret=R errno=E fd=K fds_before=B fds_after=A flags_kept=F
 * where errno is EXDEV (18) before the call, K is an open fd of /dev/null that replaces
 * "{fd}" in DATA, and B/A count /proc/self/fd around the call. fsopen's descriptor, when
 * it returns one, is closed and reported as R=0. Run by test_forward; installed as
 * dist/libexec/preload-probe to see what the shim does with a call in a container.
 * Usage: preload_probe [fork] mount SOURCE TARGET FSTYPE FLAGS DATA
 *        preload_probe [fork] umount2 TARGET FLAGS | umount TARGET | fsopen FSNAME */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

/* DATA with every "{fd}" replaced by fd. */
static char *expand(const char *data, int fd)
{
    size_t cap = strlen(data) * 4 + 16;
    char *out = malloc(cap), *o = out;
    while (*data != '\0') {
        if (strncmp(data, "{fd}", 4) == 0) {
            o += sprintf(o, "%d", fd);
            data += 4;
        } else {
            *o++ = *data++;
        }
    }
    *o = '\0';
    return out;
}

static int call(char **argv, int fd)
{
    if (strcmp(argv[0], "mount") == 0) {
        char *data = expand(argv[5], fd);
        int r = mount(argv[1], argv[2], argv[3], strtoul(argv[4], NULL, 0), data);
        int e = errno;
        free(data);
        errno = e;
        return r;
    }
    if (strcmp(argv[0], "umount2") == 0)
        return umount2(argv[1], (int)strtol(argv[2], NULL, 0));
    if (strcmp(argv[0], "fsopen") == 0) {
        int fs = fsopen(argv[1], FSOPEN_CLOEXEC);
        return fs >= 0 ? close(fs) : fs;
    }
    return umount(argv[1]);
}

static int run(char **argv)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int flags = fcntl(fd, F_GETFL), fdflags = fcntl(fd, F_GETFD);
    int before = count_fds();
    errno = EXDEV;
    int r = call(argv, fd);
    int e = errno;
    int after = count_fds();
    int kept = fcntl(fd, F_GETFL) == flags && fcntl(fd, F_GETFD) == fdflags;
    printf("ret=%d errno=%d fd=%d fds_before=%d fds_after=%d flags_kept=%d\n", r, e, fd,
           before, after, kept);
    return 0;
}

int main(int argc, char **argv)
{
    int forked = argc > 1 && strcmp(argv[1], "fork") == 0;
    if (argc < 3 + forked) {
        fprintf(stderr, "usage: see the source\n");
        return 2;
    }
    if (!forked)
        return run(argv + 1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        exit(run(argv + 2));
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
