/* mounter-init: the mount container's first process.
 *
 *   mounter-init COMMAND [ARG...]
 *
 * Runs COMMAND (the entrypoint, which execs mounterd) and keeps the container alive around
 * it: mounterd's death or hang must never end a FUSE daemon, and every FUSE daemon in the
 * container dies with the container's PID 1. So this program
 *   - reaps every orphan (daemonized helpers reparent here; it is a subreaper too when it
 *     is not PID 1);
 *   - starts COMMAND again when it exits for any reason, after a delay that doubles from
 *     0.2 s up to 30 s while it keeps exiting within a minute of its start;
 *   - asks mounterd for STATUS on its socket (MOUNTER_SOCKET) every MOUNTER_CHECK_EVERY
 *     seconds (default 10; 0: never), from MOUNTER_CHECK_GRACE seconds after each start
 *     (default 30), and kills it with SIGKILL after MOUNTER_CHECK_FAILURES (default 3)
 *     checks in a row got no answer within MOUNTER_CHECK_TIMEOUT seconds (default 5): a hung
 *     mounterd is mended here, without restarting the container;
 *   - passes SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 on to COMMAND; on SIGTERM or SIGINT it
 *     passes the signal on, stops restarting and exits with COMMAND's status once it ends
 *     (at once when COMMAND is not running).
 * Nothing else ends it. Signals are taken with sigtimedwait: blocked signals reach PID 1
 * even without handlers, which the kernel would otherwise drop for an init. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mounter_client.h"

#define RESTART_DELAY_MIN_MS 200
#define RESTART_DELAY_MAX_MS 30000
/* A run this long counts as a good one: the next restart comes after the shortest delay. */
#define STABLE_RUN_MS 60000
#define TICK_MS 200

struct watchdog {
    long every_ms;      /* 0: off */
    long timeout_s;
    long failures_max;
    long grace_ms;
};

struct supervisor {
    char **command;
    sigset_t original_mask;
    struct watchdog watchdog;
    pid_t child;         /* 0 while COMMAND is not running */
    long started_ms;
    long next_start_ms;  /* when COMMAND is not running: when it starts again */
    long delay_ms;       /* the delay before the next restart */
    long next_check_ms;
    long failures;       /* checks in a row without an answer */
    int stopping;
};

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mounter-init: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A whole number from the environment, within [min, max]; the default when unset. Exits
 * with status 2 on anything else, before COMMAND starts: a typo must not disable a check. */
static long env_number(const char *name, long fallback, long min, long max)
{
    const char *s = getenv(name);
    if (s == NULL || s[0] == '\0')
        return fallback;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || s[0] < '0' || s[0] > '9' || v < min || v > max) {
        say("%s=%s: expected a whole number from %ld to %ld", name, s, min, max);
        exit(2);
    }
    return v;
}

/* The signals taken here and sent on to the command (SIGTERM and SIGINT also stop it). */
static const int PASSED_ON[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static void start_command(struct supervisor *sv)
{
    pid_t pid = fork();
    if (pid < 0) {
        say("cannot start %s: %s; trying again", sv->command[0], strerror(errno));
        sv->next_start_ms = now_ms() + sv->delay_ms;
        return;
    }
    if (pid == 0) {
        /* A signal ignored where mounter-init was started (nohup ignores SIGHUP) would stay
         * ignored across exec, and passing it on would do nothing: the command gets the
         * defaults of every signal passed on to it. */
        for (size_t i = 0; i < sizeof PASSED_ON / sizeof PASSED_ON[0]; i++)
            signal(PASSED_ON[i], SIG_DFL);
        sigprocmask(SIG_SETMASK, &sv->original_mask, NULL);
        execvp(sv->command[0], sv->command);
        say("cannot run %s: %s", sv->command[0], strerror(errno));
        _exit(127);
    }
    sv->child = pid;
    sv->started_ms = now_ms();
    sv->failures = 0;
    sv->next_check_ms = sv->started_ms + sv->watchdog.grace_ms;
    say("started %s (pid %d)", sv->command[0], (int)pid);
}

static int exit_code(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void command_ended(struct supervisor *sv, int status)
{
    long ran_ms = now_ms() - sv->started_ms;
    pid_t pid = sv->child;
    sv->child = 0;
    if (sv->stopping) {
        say("%s ended (status %d); stopping", sv->command[0], exit_code(status));
        exit(exit_code(status));
    }
    if (ran_ms >= STABLE_RUN_MS)
        sv->delay_ms = RESTART_DELAY_MIN_MS;
    if (WIFSIGNALED(status))
        say("%s (pid %d) killed by signal %d after %ld ms; starting it again in %ld ms",
            sv->command[0], (int)pid, WTERMSIG(status), ran_ms, sv->delay_ms);
    else
        say("%s (pid %d) exited with status %d after %ld ms; starting it again in %ld ms",
            sv->command[0], (int)pid, WEXITSTATUS(status), ran_ms, sv->delay_ms);
    sv->next_start_ms = now_ms() + sv->delay_ms;
    sv->delay_ms = sv->delay_ms * 2 > RESTART_DELAY_MAX_MS ? RESTART_DELAY_MAX_MS : sv->delay_ms * 2;
}

/* Reaps every child that ended: COMMAND, and the orphans that reparented here. */
static void reap(struct supervisor *sv)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == sv->child)
            command_ended(sv, status);
    }
}

static void on_signal(struct supervisor *sv, int sig)
{
    if (sig == SIGCHLD) {
        reap(sv);
        return;
    }
    if (sig == SIGTERM || sig == SIGINT) {
        sv->stopping = 1;
        if (sv->child == 0) {
            say("signal %d while %s is not running; stopping", sig, sv->command[0]);
            exit(0);
        }
        say("signal %d: passing it on to %s (pid %d); stopping", sig, sv->command[0], (int)sv->child);
    }
    if (sv->child != 0)
        kill(sv->child, sig);
}

/* Any reply counts: mounterd answered. A refusal (a policy whose --allow-uid leaves out
 * uid 0) is no hang, and killing mounterd for it would only loop. */
static int answers_status(long timeout_s)
{
    struct mounter_request rq = {.op = MOUNTER_OP_STATUS, .id = 1, .fd = -1};
    struct mounter_reply reply;
    return mounter_client_call_within(&rq, &reply, timeout_s) == 0;
}

static void check_health(struct supervisor *sv, long now)
{
    if (sv->child == 0 || sv->watchdog.every_ms == 0 || now < sv->next_check_ms)
        return;
    if (answers_status(sv->watchdog.timeout_s)) {
        sv->failures = 0;
    } else if (++sv->failures >= sv->watchdog.failures_max) {
        say("%s (pid %d) gave no answer to %ld STATUS checks in a row: killing it", sv->command[0],
            (int)sv->child, sv->failures);
        kill(sv->child, SIGKILL); /* its end comes as SIGCHLD, and the restart after it */
        sv->failures = 0;
    }
    sv->next_check_ms = now_ms() + sv->watchdog.every_ms;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: mounter-init COMMAND [ARG...]\n");
        return 2;
    }
    struct supervisor sv = {
        .command = argv + 1,
        .watchdog = {
            .every_ms = env_number("MOUNTER_CHECK_EVERY", 10, 0, 3600) * 1000L,
            .timeout_s = env_number("MOUNTER_CHECK_TIMEOUT", 5, 1, 600),
            .failures_max = env_number("MOUNTER_CHECK_FAILURES", 3, 1, 100),
            .grace_ms = env_number("MOUNTER_CHECK_GRACE", 30, 0, 3600) * 1000L,
        },
        .delay_ms = RESTART_DELAY_MIN_MS,
    };
    if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        say("cannot become a subreaper: %s", strerror(errno));
        return 1;
    }
    sigset_t handled;
    sigemptyset(&handled);
    sigaddset(&handled, SIGCHLD);
    for (size_t i = 0; i < sizeof PASSED_ON / sizeof PASSED_ON[0]; i++)
        sigaddset(&handled, PASSED_ON[i]);
    sigprocmask(SIG_BLOCK, &handled, &sv.original_mask);

    start_command(&sv);
    for (;;) {
        struct timespec tick = {.tv_sec = 0, .tv_nsec = TICK_MS * 1000000L};
        int sig = sigtimedwait(&handled, NULL, &tick);
        if (sig > 0)
            on_signal(&sv, sig);
        else
            reap(&sv); /* a SIGCHLD merged into one already taken leaves children behind */
        long now = now_ms();
        if (sv.child == 0 && !sv.stopping && now >= sv.next_start_ms)
            start_command(&sv);
        check_health(&sv, now);
    }
}
