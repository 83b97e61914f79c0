/* fusermount's `-o` option string turned into the mount(2) arguments of a FUSE mount, with
 * fusermount's rules for what a caller may ask for (libfuse util/fusermount.c, do_mount).
 * Pure: no I/O, no allocation, no globals. */
#ifndef FUSE_OPTIONS_H
#define FUSE_OPTIONS_H

#include <stddef.h>
#include <sys/types.h>

#include "mounter_proto.h"

/* Who asks, and what the options may not decide themselves. */
struct fuse_caller {
    uid_t uid;            /* real uid and gid: the mount's owner (user_id=, group_id=) */
    gid_t gid;
    mode_t rootmode;      /* the S_IFMT bits of the mountpoint (rootmode=) */
    int fd;               /* the /dev/fuse descriptor (fd=) */
    int user_allow_other; /* /etc/fuse.conf says user_allow_other */
};

struct fuse_mount_args {
    char source[MOUNTER_SOURCE_MAX + 1]; /* fsname=, else subtype=, else "/dev/fuse" */
    char fstype[MOUNTER_FSTYPE_MAX + 1]; /* "fuse" or "fuseblk", ".SUBTYPE" if given */
    unsigned long flags;                 /* MS_* */
    char data[MOUNTER_DATA_MAX];         /* kernel options, then fd=,rootmode=,user_id=,group_id= */
    int auto_unmount;                    /* asked for, and not implemented (see fusermount.c) */
};

/* Translates opts (comma-separated; in fsname= and subtype= a backslash escapes the next
 * character, as libfuse writes them). Options only libfuse understands are dropped;
 * caller-supplied fd=, rootmode=, user_id= and group_id= are dropped and set from *caller.
 * For a caller whose uid is not 0, nosuid and nodev are forced, and allow_other needs
 * user_allow_other. Returns 0 with *out filled, or -1 with a one-line reason in why (the
 * text fusermount prints after "fusermount3: "): an unknown or refused option, a value
 * that is not a number, or a result longer than the protocol allows. An option quoted in
 * why has its credentials masked (credential_mask.h): it goes to stderr. */
int fuse_options_translate(const char *opts, const struct fuse_caller *caller,
                           struct fuse_mount_args *out, char *why, size_t why_len);

#endif
