#include "shim_config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Copies n bytes of s into the pool as a NUL-terminated string; NULL when full. */
static const char *pool_add(struct shim_config *c, const char *s, size_t n)
{
    if (n + 1 > sizeof c->pool - c->pool_used)
        return NULL;
    char *p = c->pool + c->pool_used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->pool_used += n + 1;
    return p;
}

static void list_add(struct shim_config *c, struct shim_list *l, const char *s, size_t n)
{
    if (l == &c->prefixes)
        while (n > 1 && s[n - 1] == '/') /* "/a/b/" means "/a/b"; "/" stays "/" */
            n--;
    if (n == 0 || l->count >= SHIM_MAX_ENTRIES)
        return;
    const char *p = pool_add(c, s, n);
    if (p != NULL)
        l->item[l->count++] = p;
}

static void list_add_csv(struct shim_config *c, struct shim_list *l, const char *csv)
{
    while (*csv != '\0') {
        size_t n = strcspn(csv, ",");
        size_t lead = strspn(csv, " \t");
        size_t len = lead < n ? n - lead : 0;
        while (len > 0 && (csv[lead + len - 1] == ' ' || csv[lead + len - 1] == '\t'))
            len--;
        list_add(c, l, csv + lead, len);
        csv += n + (csv[n] == ',');
    }
}

/* One line "keyword value"; whitespace-separated, '#' starts a comment. */
static void parse_line(struct shim_config *c, char *line, struct shim_list *fst,
                       struct shim_list *pre)
{
    char *save = NULL;
    line[strcspn(line, "#")] = '\0';
    char *key = strtok_r(line, " \t\r", &save);
    char *value = key ? strtok_r(NULL, " \t\r", &save) : NULL;
    if (value == NULL || strtok_r(NULL, " \t\r", &save) != NULL)
        return;
    if (strcmp(key, "forward-fstype") == 0 && fst != NULL)
        list_add(c, fst, value, strlen(value));
    else if (strcmp(key, "forward-umount-prefix") == 0 && pre != NULL)
        list_add(c, pre, value, strlen(value));
}

/* Reads the file (first SHIM_POOL_SIZE-1 bytes) with plain read(2): no stdio, no malloc.
 * fst/pre are the lists still open to the file (NULL when the env var set them). */
static void load_file(struct shim_config *c, const char *path, struct shim_list *fst,
                      struct shim_list *pre)
{
    char text[SHIM_POOL_SIZE];
    size_t len = 0;
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    text[len] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        parse_line(c, line, fst, pre);
}

void shim_config_load(struct shim_config *c, const char *env_fstypes,
                      const char *env_prefixes, const char *file_path)
{
    memset(c, 0, sizeof *c);
    if (env_fstypes != NULL)
        list_add_csv(c, &c->fstypes, env_fstypes);
    if (env_prefixes != NULL)
        list_add_csv(c, &c->prefixes, env_prefixes);
    if ((env_fstypes == NULL || env_prefixes == NULL) && file_path != NULL)
        load_file(c, file_path, env_fstypes ? NULL : &c->fstypes,
                  env_prefixes ? NULL : &c->prefixes);
    if (env_fstypes == NULL && c->fstypes.count == 0)
        list_add_csv(c, &c->fstypes, SHIM_DEFAULT_FSTYPES);
    if (env_prefixes == NULL && c->prefixes.count == 0)
        list_add_csv(c, &c->prefixes, SHIM_DEFAULT_UMOUNT_PREFIXES);
}

static struct shim_config global_config;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

/* secure_getenv: a user running a setuid program (mount(8), the fusermount stand-in) must
 * not switch forwarding off through the environment and have it mount in the container. */
static void load_global(void)
{
    const char *file = secure_getenv("MOUNTER_PRELOAD_CONFIG");
    shim_config_load(&global_config, secure_getenv("MOUNTER_FORWARD_FSTYPES"),
                     secure_getenv("MOUNTER_FORWARD_UMOUNT_PREFIXES"),
                     file != NULL && file[0] != '\0' ? file : SHIM_DEFAULT_CONFIG);
}

const struct shim_config *shim_config_get(void)
{
    pthread_once(&global_once, load_global);
    return &global_config;
}

static int fstype_matches(const char *pattern, const char *fstype)
{
    size_t n = strlen(pattern);
    if (n >= 2 && pattern[n - 2] == '.' && pattern[n - 1] == '*')
        return strncmp(pattern, fstype, n - 1) == 0;
    return strcmp(pattern, fstype) == 0;
}

int shim_forwards_fstype(const struct shim_config *c, const char *fstype)
{
    if (fstype == NULL)
        return 0;
    for (int i = 0; i < c->fstypes.count; i++)
        if (fstype_matches(c->fstypes.item[i], fstype))
            return 1;
    return 0;
}

static int under_prefix(const char *prefix, const char *target)
{
    size_t n = strlen(prefix);
    if (strcmp(prefix, "/") == 0)
        return 1;
    return strncmp(prefix, target, n) == 0 && (target[n] == '\0' || target[n] == '/');
}

int shim_forwards_umount(const struct shim_config *c, const char *target)
{
    if (target == NULL || target[0] != '/')
        return 0;
    for (int i = 0; i < c->prefixes.count; i++)
        if (c->prefixes.item[i][0] == '/' && under_prefix(c->prefixes.item[i], target))
            return 1;
    return 0;
}
