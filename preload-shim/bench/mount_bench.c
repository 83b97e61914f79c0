/* mount-bench: times mount+umount pairs of a tmpfs, one way per run.
 *   mount-bench call COUNT TARGET        mount(2)+umount2(2) through libc: direct, or
 *                                         forwarded to mounterd when the shim is preloaded
 *   mount-bench nsenter COUNT TARGET PID  `nsenter -t PID -m mount ...` and `... umount`
 *                                         as a process per call, the usual alternative
 * Prints "pairs=N median_us=M p99_us=P". The first tenth of the pairs warm up unmeasured. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int pair_call(const char *target, const char *pid)
{
    (void)pid;
    if (mount("tmpfs", target, "tmpfs", 0, "size=1m") != 0)
        return -1;
    return umount2(target, 0);
}

static int pair_nsenter(const char *target, const char *pid)
{
    char *const mount_argv[] = {"nsenter", "-t", (char *)pid, "-m", "--", "mount", "-t", "tmpfs",
                                "-o", "size=1m", "tmpfs", (char *)target, NULL};
    char *const umount_argv[] = {"nsenter", "-t", (char *)pid, "-m", "--", "umount",
                                 (char *)target, NULL};
    if (run(mount_argv) != 0)
        return -1;
    return run(umount_argv);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int nsenter = argc == 5 && strcmp(argv[1], "nsenter") == 0;
    if (!nsenter && !(argc == 4 && strcmp(argv[1], "call") == 0)) {
        fprintf(stderr, "usage: mount-bench call COUNT TARGET | nsenter COUNT TARGET PID\n");
        return 2;
    }
    int count = atoi(argv[2]), warm = count / 10;
    double *samples = calloc(count > 0 ? count : 1, sizeof *samples);
    if (count <= 0 || samples == NULL)
        return 2;
    int (*pair)(const char *, const char *) = nsenter ? pair_nsenter : pair_call;
    for (int i = -warm; i < count; i++) {
        double start = now_us();
        if (pair(argv[3], nsenter ? argv[4] : NULL) != 0) {
            fprintf(stderr, "mount-bench: pair %d failed: %s\n", i, strerror(errno));
            return 1;
        }
        if (i >= 0)
            samples[i] = now_us() - start;
    }
    qsort(samples, count, sizeof *samples, by_value);
    printf("pairs=%d median_us=%.1f p99_us=%.1f\n", count, samples[count / 2],
           samples[(int)(count * 0.99) < count ? (int)(count * 0.99) : count - 1]);
    free(samples);
    return 0;
}
