#include "fuse_options.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "credential_mask.h"

/* Mount flags by option name, fusermount's table. user_may = 0: ignored when the caller is
 * not root, since a user serving the filesystem could otherwise run its setuid binaries
 * with root's rights (suid) or open its device nodes, say a copy of the node's disk (dev). */
struct flag_rule {
    const char *name;
    unsigned long flag;
    int on;
    int user_may;
};

static const struct flag_rule FLAG_RULES[] = {
    {"rw", MS_RDONLY, 0, 1},           {"ro", MS_RDONLY, 1, 1},
    {"suid", MS_NOSUID, 0, 0},         {"nosuid", MS_NOSUID, 1, 1},
    {"dev", MS_NODEV, 0, 0},           {"nodev", MS_NODEV, 1, 1},
    {"exec", MS_NOEXEC, 0, 1},         {"noexec", MS_NOEXEC, 1, 1},
    {"async", MS_SYNCHRONOUS, 0, 1},   {"sync", MS_SYNCHRONOUS, 1, 1},
    {"atime", MS_NOATIME, 0, 1},       {"noatime", MS_NOATIME, 1, 1},
    {"diratime", MS_NODIRATIME, 0, 1}, {"nodiratime", MS_NODIRATIME, 1, 1},
    {"lazytime", MS_LAZYTIME, 1, 1},   {"nolazytime", MS_LAZYTIME, 0, 1},
    {"relatime", MS_RELATIME, 1, 1},   {"norelatime", MS_RELATIME, 0, 1},
    {"strictatime", MS_STRICTATIME, 1, 1}, {"nostrictatime", MS_STRICTATIME, 0, 1},
    {"dirsync", MS_DIRSYNC, 1, 1},
    {"symfollow", MS_NOSYMFOLLOW, 0, 1}, {"nosymfollow", MS_NOSYMFOLLOW, 1, 1},
};

enum option_kind {
    KERNEL,        /* passed to the kernel as written */
    KERNEL_NUMBER, /* passed to the kernel; the value must be a decimal number */
    ALLOW_OTHER,   /* passed to the kernel; a user needs user_allow_other */
    SOURCE,        /* fsname=: the mount source */
    SUBTYPE,       /* subtype=: the fstype becomes fuse.SUBTYPE */
    BLKDEV,        /* fuseblk: root only */
    OWNED,         /* set from the caller, never from the options */
    AUTO_UNMOUNT,
    IGNORED,       /* obsolete or userspace-only: the kernel would refuse it */
};

/* Every option not listed here (or in FLAG_RULES) is refused, as fusermount does: the
 * kernel's FUSE parser sees only what this table lets through. OWNED options are the ones
 * a user must not choose: fd= naming some other open file, rootmode= lying about the root
 * inode, user_id=/group_id= naming another owner, who alone may enter the mount without
 * allow_other. allow_other for a user: it opens the user's filesystem to everyone, root
 * included, whose processes would then trust what the user serves. */
static const struct {
    const char *name; /* ends in '=' when the option takes a value */
    enum option_kind kind;
} OPTION_RULES[] = {
    {"default_permissions", KERNEL}, {"allow_other", ALLOW_OTHER},
    {"max_read=", KERNEL_NUMBER},    {"blksize=", KERNEL_NUMBER},
    {"fsname=", SOURCE},             {"subtype=", SUBTYPE},
    {"blkdev", BLKDEV},              {"auto_unmount", AUTO_UNMOUNT},
    {"fd=", OWNED},                  {"rootmode=", OWNED},
    {"user_id=", OWNED},             {"group_id=", OWNED},
    {"nonempty", IGNORED},           {"large_read", IGNORED},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A bounded string; once something does not fit it stays overflowed. */
struct text {
    char *buf;
    size_t cap;
    size_t len;
    int overflow;
};

struct translation {
    const struct fuse_caller *caller;
    struct fuse_mount_args *out;
    struct text data, source, subtype;
    char subtype_buf[MOUNTER_FSTYPE_MAX + 1];
    int blkdev;
    char *why;
    size_t why_len;
};

static void text_init(struct text *t, char *buf, size_t cap)
{
    *t = (struct text){buf, cap, 0, 0};
    buf[0] = '\0';
}

static void text_add(struct text *t, const char *s, size_t n)
{
    if (t->overflow || n >= t->cap - t->len) {
        t->overflow = 1;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

/* Replaces t with the value s[0..n), each escaping backslash dropped. */
static void text_set_unescaped(struct text *t, const char *s, size_t n)
{
    text_init(t, t->buf, t->cap);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        text_add(t, s + i, 1);
    }
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Length of the option at s: up to the next unescaped comma. */
static size_t option_length(const char *s)
{
    int escapes = starts_with(s, "fsname=") || starts_with(s, "subtype=");
    size_t n = 0;
    while (s[n] != '\0' && s[n] != ',') {
        if (escapes && s[n] == '\\' && s[n + 1] != '\0')
            n++;
        n++;
    }
    return n;
}

static int matches(const char *name, const char *s, size_t len)
{
    size_t n = strlen(name);
    if (name[n - 1] == '=')
        return len >= n && strncmp(s, name, n) == 0;
    return len == n && strncmp(s, name, n) == 0;
}

static int is_number(const char *s, size_t n)
{
    if (n == 0 || n > 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_user(const struct translation *t)
{
    return t->caller->uid != 0;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct translation *t, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vsnprintf(t->why, t->why_len, format, ap);
    va_end(ap);
    return -1;
}

/* The option s[0..len) as a message may show it: credentials masked (credential_mask.h).
 * A longer option is cut first; the cut can only drop text, never unmask a value. */
static const char *shown_option(const char *s, size_t len, char *buf, size_t cap)
{
    char option[512];
    if (len >= sizeof option)
        len = sizeof option - 1;
    memcpy(option, s, len);
    option[len] = '\0';
    mask_options(option, buf, cap);
    return buf;
}

static void add_kernel_option(struct translation *t, const char *s, size_t n)
{
    if (t->data.len > 0)
        text_add(&t->data, ",", 1);
    text_add(&t->data, s, n);
}

/* Returns 1 if s[0..len) is a mount flag (applied, or ignored for a user), else 0. */
static int apply_flag(struct translation *t, const char *s, size_t len)
{
    for (size_t i = 0; i < COUNT(FLAG_RULES); i++) {
        const struct flag_rule *f = &FLAG_RULES[i];
        if (!matches(f->name, s, len))
            continue;
        if (f->user_may || !is_user(t)) {
            if (f->on)
                t->out->flags |= f->flag;
            else
                t->out->flags &= ~f->flag;
        }
        return 1;
    }
    return 0;
}

static int apply_option(struct translation *t, const char *s, size_t len)
{
    if (apply_flag(t, s, len))
        return 0;
    size_t i = 0;
    while (i < COUNT(OPTION_RULES) && !matches(OPTION_RULES[i].name, s, len))
        i++;
    char shown[256];
    if (i == COUNT(OPTION_RULES))
        return fail(t, "unknown option '%s'", shown_option(s, len, shown, sizeof shown));
    size_t name_len = strlen(OPTION_RULES[i].name);
    switch (OPTION_RULES[i].kind) {
    case ALLOW_OTHER:
        if (is_user(t) && !t->caller->user_allow_other)
            return fail(t, "option allow_other only allowed if 'user_allow_other' is set "
                           "in /etc/fuse.conf");
        /* fall through */
    case KERNEL:
        add_kernel_option(t, s, len);
        return 0;
    case KERNEL_NUMBER:
        if (!is_number(s + name_len, len - name_len))
            return fail(t, "option '%s' needs a decimal number",
                        shown_option(s, len, shown, sizeof shown));
        add_kernel_option(t, s, len);
        return 0;
    case SOURCE:
        text_set_unescaped(&t->source, s + name_len, len - name_len);
        return 0;
    case SUBTYPE:
        text_set_unescaped(&t->subtype, s + name_len, len - name_len);
        return 0;
    case BLKDEV:
        if (is_user(t))
            return fail(t, "option blkdev is privileged");
        t->blkdev = 1;
        return 0;
    case AUTO_UNMOUNT:
        t->out->auto_unmount = 1;
        return 0;
    case OWNED:
    case IGNORED:
        return 0;
    }
    return 0;
}

static int finish(struct translation *t)
{
    const struct fuse_caller *c = t->caller;
    struct fuse_mount_args *out = t->out;
    struct text fstype;
    char owned[96];

    snprintf(owned, sizeof owned, "fd=%d,rootmode=%o,user_id=%u,group_id=%u", c->fd,
             (unsigned)(c->rootmode & S_IFMT), (unsigned)c->uid, (unsigned)c->gid);
    add_kernel_option(t, owned, strlen(owned));
    if (is_user(t))
        out->flags |= MS_NOSUID | MS_NODEV;
    text_init(&fstype, out->fstype, sizeof out->fstype);
    text_add(&fstype, t->blkdev ? "fuseblk" : "fuse", t->blkdev ? 7 : 4);
    if (t->subtype.len > 0) {
        text_add(&fstype, ".", 1);
        text_add(&fstype, t->subtype.buf, t->subtype.len);
    }
    if (t->source.len == 0 && !t->source.overflow) {
        const char *fallback = t->subtype.len > 0 ? t->subtype.buf : "/dev/fuse";
        text_add(&t->source, fallback, strlen(fallback));
    }
    if (t->data.overflow)
        return fail(t, "mount options too long");
    if (t->source.overflow)
        return fail(t, "fsname longer than %d bytes", MOUNTER_SOURCE_MAX);
    if (t->subtype.overflow || fstype.overflow)
        return fail(t, "subtype too long");
    return 0;
}

int fuse_options_translate(const char *opts, const struct fuse_caller *caller,
                           struct fuse_mount_args *out, char *why, size_t why_len)
{
    struct translation t = {.caller = caller, .out = out, .why = why, .why_len = why_len};
    memset(out, 0, sizeof *out);
    out->flags = MS_NOSUID | MS_NODEV; /* fusermount's default; root may ask for suid, dev */
    text_init(&t.data, out->data, sizeof out->data);
    text_init(&t.source, out->source, sizeof out->source);
    text_init(&t.subtype, t.subtype_buf, sizeof t.subtype_buf);
    while (*opts != '\0') {
        size_t len = option_length(opts);
        if (len > 0 && apply_option(&t, opts, len) < 0)
            return -1;
        opts += len + (opts[len] == ',');
    }
    return finish(&t);
}
