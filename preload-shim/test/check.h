/* A minimal test harness: CHECK records a failure and goes on; SUMMARY prints the result. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        check_count++;                                                          \
        if (!(cond)) {                                                          \
            check_failures++;                                                   \
            fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

static inline int check_summary(const char *name)
{
    printf("%s: %s (%d checks, %d failed)\n", name, check_failures ? "FAIL" : "PASS",
           check_count, check_failures);
    fflush(stdout);
    return check_failures ? 1 : 0;
}

#endif
