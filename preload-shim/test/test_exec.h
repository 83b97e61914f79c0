/* Starting the build's own programs from a test, natively or through an emulator.
 *
 * MOUNTER_TEST_EXEC_PREFIX, when set and not blank, holds words (split at blanks, no
 * quoting) put before each program of the build a test starts; `make test-aarch64` sets
 * "qemu-aarch64-static -L /usr/aarch64-linux-gnu -0 {argv0}". Why: under qemu user mode a
 * guest's execve(2) is the host kernel's, and with no binfmt_misc entry for aarch64 (none
 * is ever registered for these tests) the kernel refuses an aarch64 program (ENOEXEC).
 * qemu itself is a host program, so exec'ing it with the program as its argument works.
 * The word {argv0} becomes the argv[0] the child is meant to see: qemu would give it the
 * program's path instead. Host programs a test runs (setpriv, env) are exec'd directly.
 * Unset, as in `make test`, a test execs its programs exactly as before. */
#ifndef TEST_EXEC_H
#define TEST_EXEC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_EXEC_MAX_WORDS 96

static inline const char *test_exec_prefix(void)
{
    const char *p = getenv("MOUNTER_TEST_EXEC_PREFIX");
    return p != NULL && p[strspn(p, " \t")] != '\0' ? p : NULL;
}

static inline int test_exec_wrapped(void)
{
    return test_exec_prefix() != NULL;
}

/* Appends word to cmd, keeping room for the NULL; a child whose command does not fit
 * ends with status 127. */
static inline void test_exec_add(char **cmd, int cap, int *n, char *word)
{
    if (*n >= cap - 1) {
        fprintf(stderr, "test_exec: command longer than %d words\n", cap - 1);
        _exit(127);
    }
    cmd[(*n)++] = word;
}

/* Fills cmd with the prefix's words ({argv0} replaced by argv[0]), path, argv[1], ... and a
 * NULL. Only for a child about to exec: the words point into a static copy of the prefix. */
static inline void test_exec_command(const char *path, char *const argv[], char **cmd, int cap)
{
    static char words[1024];
    char *save = NULL;
    int n = 0;
    snprintf(words, sizeof words, "%s", test_exec_prefix());
    for (char *w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save))
        test_exec_add(cmd, cap, &n, strcmp(w, "{argv0}") == 0 ? argv[0] : w);
    test_exec_add(cmd, cap, &n, (char *)path);
    for (int i = 1; argv[0] != NULL && argv[i] != NULL; i++)
        test_exec_add(cmd, cap, &n, argv[i]);
    cmd[n] = NULL;
}

/* execv(path, argv), through the prefix when one is set. Returns only on failure. */
static inline void test_exec(const char *path, char *const argv[])
{
    char *cmd[TEST_EXEC_MAX_WORDS];
    if (!test_exec_wrapped()) {
        execv(path, argv);
        return;
    }
    test_exec_command(path, argv, cmd, TEST_EXEC_MAX_WORDS);
    execvp(cmd[0], cmd);
}

#endif
