/* Which mount()/umount2() calls the shim forwards to mounterd.
 *
 * Sources, per setting, first found wins:
 *   fstypes:         env MOUNTER_FORWARD_FSTYPES, then `forward-fstype PATTERN` lines of
 *                    the config file, then SHIM_DEFAULT_FSTYPES;
 *   umount prefixes: env MOUNTER_FORWARD_UMOUNT_PREFIXES, then `forward-umount-prefix DIR`
 *                    lines, then SHIM_DEFAULT_UMOUNT_PREFIXES.
 * The config file is /etc/mounter/preload.conf, or env MOUNTER_PRELOAD_CONFIG. It matters
 * because util-linux mount(8) strips the environment before exec'ing mount.<type>.
 * An env variable that is set but empty forwards nothing for its setting. */
#ifndef SHIM_CONFIG_H
#define SHIM_CONFIG_H

#include <stddef.h>

#define SHIM_DEFAULT_CONFIG "/etc/mounter/preload.conf"
#define SHIM_DEFAULT_FSTYPES "fuse,fuse.*,fuseblk,fuseblk.*"
#define SHIM_DEFAULT_UMOUNT_PREFIXES "/var/lib/kubelet"

#define SHIM_MAX_ENTRIES 32
#define SHIM_POOL_SIZE 8192

struct shim_list {
    const char *item[SHIM_MAX_ENTRIES];
    int count;
};

struct shim_config {
    struct shim_list fstypes;
    struct shim_list prefixes;
    char pool[SHIM_POOL_SIZE]; /* the strings the lists point into */
    size_t pool_used;
};

/* Fills *c from the given env values (NULL = unset) and config file (missing or
 * unreadable = no settings from it). Entries beyond SHIM_MAX_ENTRIES or the pool, unknown
 * keywords and malformed lines are ignored. Never fails. Allocates nothing. */
void shim_config_load(struct shim_config *c, const char *env_fstypes,
                      const char *env_prefixes, const char *file_path);

/* The process-wide configuration, loaded once from the real environment and file. */
const struct shim_config *shim_config_get(void);

/* "fuse" matches only "fuse"; a pattern ending in ".*" such as "fuse.*" matches every
 * type starting with "fuse.". NULL never matches. */
int shim_forwards_fstype(const struct shim_config *c, const char *fstype);

/* True if target is an absolute path equal to or below a prefix, by whole components:
 * "/a/b" matches "/a/b" and "/a/b/c", not "/a/bc". Not normalised: "/a//b" or ".."
 * are compared as written (mounterd resolves targets itself and enforces its policy). */
int shim_forwards_umount(const struct shim_config *c, const char *target);

#endif
