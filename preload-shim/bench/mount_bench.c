/* mount-bench: times mount paths and what rides on them; one way per run.
 *   mount-bench call COUNT TARGET        mount(2)+umount2(2) of a tmpfs through libc: direct, or
 *                                         forwarded to mounterd when the shim is preloaded
 *   mount-bench nsenter COUNT TARGET PID  `nsenter -t PID -m mount ...` and `... umount`
 *                                         as a process per call, the usual alternative
 *   mount-bench parallel CLIENTS SECONDS DIR
 *                                         CLIENTS processes, each doing pairs on DIR/c<i>
 *                                         (created) until SECONDS pass; EAGAIN (mounterd's
 *                                         bound on requests in flight) is retried and counted
 *   mount-bench read FILE                 reads FILE once in 1 MiB blocks
 *   mount-bench read-pair A B             reads A and B once each, in turns of 16 MiB (1 MiB
 *                                         blocks), which goes first alternating, and times each
 *                                         file's turns apart: both see the same load
 *   mount-bench swap A B SECONDS          exchanges A and B (renameat2 RENAME_EXCHANGE) in a
 *                                         tight loop until SIGTERM or SECONDS pass
 * call and nsenter print "pairs=N median_us=M p99_us=P" (the first tenth of the pairs warm up
 * unmeasured); parallel "clients=N seconds=S pairs=P pairs_per_s=R eagain=E errors=F"; read
 * "bytes=N seconds=S mib_per_s=R"; read-pair "a_mib_per_s=R b_mib_per_s=R"; swap "swaps=N". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

static int latency(int count, const char *target, const char *pid)
{
    int warm = count / 10;
    double *samples = calloc(count > 0 ? count : 1, sizeof *samples);
    if (count <= 0 || samples == NULL)
        return 2;
    int (*pair)(const char *, const char *) = pid ? pair_nsenter : pair_call;
    for (int i = -warm; i < count; i++) {
        double start = now_us();
        if (pair(target, pid) != 0) {
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

/* What one client process counts, in memory shared with the parent. */
struct tally {
    uint64_t pairs, eagain, errors;
};

/* Retries while mounterd answers EAGAIN (requests in flight at its bound): the load shed
 * is counted, not failed. The wait doubles from 100 us up to 3.2 ms, so that clients
 * turned away do not take the CPU from the requests being served. Any other error counts
 * once and ends the pair. */
static int with_retry(int (*call)(const char *), const char *target, struct tally *t)
{
    useconds_t wait = 100;
    while (call(target) != 0) {
        if (errno != EAGAIN) {
            t->errors++;
            return -1;
        }
        t->eagain++;
        usleep(wait);
        if (wait < 3200)
            wait *= 2;
    }
    return 0;
}

static int do_mount(const char *target)
{
    return mount("tmpfs", target, "tmpfs", 0, "size=1m");
}

static int do_umount(const char *target)
{
    return umount2(target, 0);
}

static void client(const char *target, double deadline_us, struct tally *t)
{
    while (now_us() < deadline_us) {
        if (with_retry(do_mount, target, t) == 0 && with_retry(do_umount, target, t) == 0)
            t->pairs++;
        else if (t->errors > 100)
            return;
    }
}

static int parallel(int clients, double seconds, const char *dir)
{
    struct tally *tallies = mmap(NULL, clients * sizeof *tallies, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int gate[2];
    if (clients <= 0 || seconds <= 0 || tallies == MAP_FAILED || pipe(gate) != 0)
        return 2;
    for (int i = 0; i < clients; i++) {
        char target[4096];
        snprintf(target, sizeof target, "%s/c%d", dir, i);
        if (mkdir(target, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "mount-bench: mkdir %s: %s\n", target, strerror(errno));
            return 1;
        }
        if (fork() == 0) {
            char go;
            close(gate[1]);
            if (read(gate[0], &go, 1) < 0) /* returns 0 when the parent opens the gate */
                _exit(1);
            client(target, now_us() + seconds * 1e6, &tallies[i]);
            _exit(0);
        }
    }
    close(gate[0]);
    double start = now_us();
    close(gate[1]);
    while (wait(NULL) > 0)
        ;
    double elapsed = (now_us() - start) / 1e6;
    struct tally sum = {0, 0, 0};
    for (int i = 0; i < clients; i++) {
        sum.pairs += tallies[i].pairs;
        sum.eagain += tallies[i].eagain;
        sum.errors += tallies[i].errors;
    }
    printf("clients=%d seconds=%.2f pairs=%llu pairs_per_s=%.0f eagain=%llu errors=%llu\n", clients, elapsed,
           (unsigned long long)sum.pairs, sum.pairs / elapsed, (unsigned long long)sum.eagain,
           (unsigned long long)sum.errors);
    return sum.errors ? 1 : 0;
}

static int read_file(const char *path)
{
    static char block[1 << 20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "mount-bench: open %s: %s\n", path, strerror(errno));
        return 1;
    }
    double start = now_us();
    long long total = 0;
    ssize_t n;
    while ((n = read(fd, block, sizeof block)) > 0)
        total += n;
    double elapsed = (now_us() - start) / 1e6;
    close(fd);
    if (n < 0) {
        fprintf(stderr, "mount-bench: read %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("bytes=%lld seconds=%.4f mib_per_s=%.1f\n", total, elapsed, total / 1048576.0 / elapsed);
    return 0;
}

/* One file of a read-pair: its descriptor, bytes read and time spent so far. */
struct paired_file {
    const char *path;
    int fd;
    long long bytes;
    double seconds;
    int done;
};

/* Reads up to 16 MiB of FILE; 0, or -1 on a read error. */
static int read_turn(struct paired_file *file)
{
    static char block[1 << 20];
    double start = now_us();
    for (int i = 0; i < 16 && !file->done; i++) {
        ssize_t n = read(file->fd, block, sizeof block);
        if (n < 0) {
            fprintf(stderr, "mount-bench: read %s: %s\n", file->path, strerror(errno));
            return -1;
        }
        file->bytes += n;
        file->done = n == 0;
    }
    file->seconds += (now_us() - start) / 1e6;
    return 0;
}

static int read_pair(const char *a, const char *b)
{
    struct paired_file files[2] = {{.path = a}, {.path = b}};
    int status = 0;
    for (int i = 0; i < 2; i++) {
        files[i].fd = open(files[i].path, O_RDONLY | O_CLOEXEC);
        if (files[i].fd < 0) {
            fprintf(stderr, "mount-bench: open %s: %s\n", files[i].path, strerror(errno));
            status = 1;
        }
    }
    for (int turn = 0; status == 0 && !(files[0].done && files[1].done); turn++) {
        struct paired_file *first = &files[turn % 2], *second = &files[1 - turn % 2];
        if (read_turn(first) != 0 || read_turn(second) != 0)
            status = 1;
    }
    for (int i = 0; i < 2; i++)
        if (files[i].fd >= 0)
            close(files[i].fd);
    if (status == 0)
        printf("a_bytes=%lld b_bytes=%lld a_mib_per_s=%.1f b_mib_per_s=%.1f\n", files[0].bytes, files[1].bytes,
               files[0].bytes / 1048576.0 / files[0].seconds, files[1].bytes / 1048576.0 / files[1].seconds);
    return status;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int swap(const char *a, const char *b, double seconds)
{
    struct sigaction action = {.sa_handler = on_term};
    sigaction(SIGTERM, &action, NULL);
    double deadline = now_us() + seconds * 1e6;
    unsigned long long swaps = 0;
    while (!stop) {
        if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0) {
            fprintf(stderr, "mount-bench: renameat2 %s %s: %s\n", a, b, strerror(errno));
            return 1;
        }
        if (++swaps % 1024 == 0 && now_us() > deadline)
            break;
    }
    printf("swaps=%llu\n", swaps);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "call") == 0 && argc == 4)
        return latency(atoi(argv[2]), argv[3], NULL);
    if (strcmp(mode, "nsenter") == 0 && argc == 5)
        return latency(atoi(argv[2]), argv[3], argv[4]);
    if (strcmp(mode, "parallel") == 0 && argc == 5)
        return parallel(atoi(argv[2]), atof(argv[3]), argv[4]);
    if (strcmp(mode, "read") == 0 && argc == 3)
        return read_file(argv[2]);
    if (strcmp(mode, "read-pair") == 0 && argc == 4)
        return read_pair(argv[2], argv[3]);
    if (strcmp(mode, "swap") == 0 && argc == 5)
        return swap(argv[2], argv[3], atof(argv[4]));
    fprintf(stderr, "usage: mount-bench call COUNT TARGET | nsenter COUNT TARGET PID\n"
                    "       | parallel CLIENTS SECONDS DIR | read FILE | read-pair A B | swap A B SECONDS\n");
    return 2;
}
