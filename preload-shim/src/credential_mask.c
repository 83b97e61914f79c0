#include "credential_mask.h"

#include <string.h>

/* No two can match at one position: each must be followed by '='. */
static const char *const SECRET_WORDS[] = {
    "password", "passwd", "pass", "secret", "secretfile", "credentials",
    "key", "token", "auth", "sshfs_password",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Where the masked text goes: len counts every byte, stored or not. */
struct sink {
    char *buf;
    size_t cap;
    size_t len;
};

static void put(struct sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++, s->len++)
        if (s->len + 1 < s->cap)
            s->buf[s->len] = p[i];
}

static size_t finish(struct sink *s)
{
    if (s->cap > 0)
        s->buf[s->len < s->cap ? s->len : s->cap - 1] = '\0';
    return s->len;
}

static int is_letter(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_letter(c) || is_digit(c);
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Length of the secret word and '=' starting at s + i, or 0 if none stands there. */
static size_t secret_key_length(const char *s, size_t i)
{
    if (i > 0 && is_alnum(s[i - 1]))
        return 0;
    for (size_t w = 0; w < COUNT(SECRET_WORDS); w++) {
        const char *word = SECRET_WORDS[w];
        size_t n = 0;
        while (word[n] != '\0' && ascii_lower(s[i + n]) == word[n])
            n++; /* stops at the NUL of s: it matches no letter of a word */
        if (word[n] == '\0' && s[i + n] == '=')
            return n + 1;
    }
    return 0;
}

/* The end of the value starting at s + i: the next comma outside double quotes. */
static size_t value_end(const char *s, size_t i)
{
    int quoted = 0;
    for (; s[i] != '\0'; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && s[i] == ',')
            break;
    }
    return i;
}

size_t mask_options(const char *in, char *out, size_t cap)
{
    struct sink s = {out, cap, 0};
    size_t i = 0;
    if (in == NULL)
        in = "";
    while (in[i] != '\0') {
        size_t key = secret_key_length(in, i);
        if (key == 0) {
            put(&s, in + i, 1);
            i++;
            continue;
        }
        put(&s, in + i, key);
        put(&s, CREDENTIAL_MASK, strlen(CREDENTIAL_MASK));
        i = value_end(in, i + key);
    }
    return finish(&s);
}

/* After a leading scheme:// or //, else 0. */
static size_t authority_start(const char *s)
{
    if (s[0] == '/' && s[1] == '/')
        return 2;
    if (!is_letter(s[0]))
        return 0;
    size_t i = 1;
    while (is_alnum(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

size_t mask_source(const char *in, char *out, size_t cap)
{
    struct sink s = {out, cap, 0};
    if (in == NULL)
        in = "";
    size_t n = strlen(in), start = authority_start(in);
    size_t end = start + strcspn(in + start, "/");
    size_t at = end, colon;
    while (at > start && in[at - 1] != '@')
        at--;
    if (at == start) { /* no '@' in the authority: no userinfo */
        put(&s, in, n);
        return finish(&s);
    }
    at--; /* the last '@' */
    colon = start + strcspn(in + start, ":");
    if (colon >= at) { /* a userinfo without ':' has no password */
        put(&s, in, n);
        return finish(&s);
    }
    put(&s, in, colon + 1);
    put(&s, CREDENTIAL_MASK, strlen(CREDENTIAL_MASK));
    put(&s, in + at, n - at);
    return finish(&s);
}
