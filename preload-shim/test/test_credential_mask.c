/* mask_options() and mask_source() against the shared vector file (argv[1], normally
 * test-vectors/credential-masking.tsv): every options and source row, masking the result
 * again, and every truncated output size. The text rows belong to the Java and sh rules. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "credential_mask.h"

#define LINE_MAX_LEN 4096
#define GUARD 16

typedef size_t (*mask_fn)(const char *, char *, size_t);

/* Every cap from 0 to the full length + 1: the result is the full length, out the start of
 * the full text, NUL-terminated, and nothing past cap is written. */
static void check_truncation(mask_fn mask, const char *input, const char *full, int line)
{
    size_t len = strlen(full);
    char out[LINE_MAX_LEN + GUARD];
    for (size_t cap = 0; cap <= len + 1 && cap + GUARD <= sizeof out; cap++) {
        memset(out, '#', sizeof out);
        size_t r = mask(input, out, cap);
        CHECK(r == len, "line %d cap %zu: returned %zu, want %zu", line, cap, r, len);
        int untouched = 1;
        for (size_t i = cap; i < cap + GUARD; i++)
            untouched &= out[i] == '#';
        CHECK(untouched, "line %d cap %zu: wrote past cap", line, cap);
        if (cap == 0)
            continue;
        size_t kept = len < cap - 1 ? len : cap - 1;
        CHECK(out[kept] == '\0' && strncmp(out, full, kept) == 0,
              "line %d cap %zu: [%.*s] is not the start of [%s]", line, cap, (int)kept, out, full);
    }
}

static void check_row(const char *kind, mask_fn mask, const char *input, const char *expected,
                      int line)
{
    char out[LINE_MAX_LEN], again[LINE_MAX_LEN];
    mask(input, out, sizeof out);
    CHECK(strcmp(out, expected) == 0, "line %d %s [%s]: got [%s], want [%s]", line, kind, input,
          out, expected);
    mask(expected, again, sizeof again);
    CHECK(strcmp(again, expected) == 0, "line %d %s: masking [%s] again gave [%s]", line, kind,
          expected, again);
    check_truncation(mask, input, expected, line);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_credential_mask VECTOR_FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    CHECK(f != NULL, "cannot open %s", argv[1]);
    if (f == NULL)
        return check_summary("test_credential_mask");

    char line[LINE_MAX_LEN];
    int number = 0, options = 0, sources = 0, texts = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        number++;
        size_t n = strlen(line);
        CHECK(n > 0 && line[n - 1] == '\n', "line %d: too long, or no final newline", number);
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *input = strchr(line, '\t');
        char *expected = input ? strchr(input + 1, '\t') : NULL;
        CHECK(expected != NULL && strchr(expected + 1, '\t') == NULL,
              "line %d: kind<TAB>input<TAB>expected wanted: [%s]", number, line);
        if (expected == NULL)
            continue;
        *input++ = '\0';
        *expected++ = '\0';
        if (strcmp(line, "options") == 0) {
            options++;
            check_row("options", mask_options, input, expected, number);
        } else if (strcmp(line, "source") == 0) {
            sources++;
            check_row("source", mask_source, input, expected, number);
        } else {
            CHECK(strcmp(line, "text") == 0, "line %d: unknown kind [%s]", number, line);
            texts++;
        }
    }
    fclose(f);
    CHECK(options >= 25 && sources >= 15 && texts >= 15,
          "too few rows: %d options, %d source, %d text", options, sources, texts);

    char out[32];
    CHECK(mask_options(NULL, out, sizeof out) == 0 && out[0] == '\0', "NULL options");
    CHECK(mask_source(NULL, out, sizeof out) == 0 && out[0] == '\0', "NULL source");
    CHECK(mask_options("password=x", NULL, 0) == strlen("password=" CREDENTIAL_MASK),
          "cap 0 with no buffer");
    printf("test_credential_mask: %d options and %d source rows of %s\n", options, sources,
           argv[1]);
    return check_summary("test_credential_mask");
}
