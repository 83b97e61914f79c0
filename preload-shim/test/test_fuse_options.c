/* Unit test of fuse_options_translate(): fusermount's -o options as libfuse, rclone and
 * glusterfs pass them, and the rules for a caller that is not root. */
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "check.h"
#include "fuse_options.h"

static const struct fuse_caller ROOT_CALLER = {0, 0, S_IFDIR, 5, 0};
static const struct fuse_caller USER_CALLER = {1000, 1001, S_IFDIR, 5, 0};

struct outcome {
    int rc;
    struct fuse_mount_args m;
    char why[256];
};

static struct outcome translate(const char *opts, const struct fuse_caller *caller)
{
    struct outcome o;
    memset(&o, 0, sizeof o);
    o.rc = fuse_options_translate(opts, caller, &o.m, o.why, sizeof o.why);
    return o;
}

static void expect(const char *opts, const struct fuse_caller *caller, const char *source,
                   const char *fstype, unsigned long flags, const char *data)
{
    struct outcome o = translate(opts, caller);
    CHECK(o.rc == 0, "[%s]: refused: %s", opts, o.why);
    if (o.rc != 0)
        return;
    CHECK(strcmp(o.m.source, source) == 0, "[%s]: source [%s], want [%s]", opts, o.m.source,
          source);
    CHECK(strcmp(o.m.fstype, fstype) == 0, "[%s]: fstype [%s], want [%s]", opts, o.m.fstype,
          fstype);
    CHECK(o.m.flags == flags, "[%s]: flags %#lx, want %#lx", opts, o.m.flags, flags);
    CHECK(strcmp(o.m.data, data) == 0, "[%s]: data [%s], want [%s]", opts, o.m.data, data);
}

static void expect_refusal(const char *opts, const struct fuse_caller *caller, const char *why)
{
    struct outcome o = translate(opts, caller);
    CHECK(o.rc == -1, "[%s]: accepted, want refusal [%s]", opts, why);
    CHECK(strcmp(o.why, why) == 0, "[%s]: reason [%s], want [%s]", opts, o.why, why);
}

#define NOSUID_NODEV (MS_NOSUID | MS_NODEV)
#define OWNED_ROOT "fd=5,rootmode=40000,user_id=0,group_id=0"
#define OWNED_USER "fd=5,rootmode=40000,user_id=1000,group_id=1001"

static void test_callers_as_observed(void)
{
    /* libfuse 3.14 (sshfs as a user), first try and retry without subtype */
    expect("rw,nosuid,nodev,fsname=u@h:/d,subtype=sshfs", &USER_CALLER, "u@h:/d",
           "fuse.sshfs", NOSUID_NODEV, OWNED_USER);
    expect("rw,nosuid,nodev,fsname=u@h:/d", &USER_CALLER, "u@h:/d", "fuse", NOSUID_NODEV,
           OWNED_USER);
    /* rclone 1.60 (bazil.org/fuse) as root */
    expect("fsname=/src,subtype=rclone", &ROOT_CALLER, "/src", "fuse.rclone", NOSUID_NODEV,
           OWNED_ROOT);
    /* glusterfs 10 (fusermount-glusterfs with _FUSE_DEVFD) */
    expect("default_permissions,allow_other,max_read=131072,fsname=127.0.0.2:/v1,nonempty,"
           "subtype=glusterfs", &ROOT_CALLER, "127.0.0.2:/v1", "fuse.glusterfs", NOSUID_NODEV,
           "default_permissions,allow_other,max_read=131072," OWNED_ROOT);
}

static void test_sources_and_types(void)
{
    expect("", &ROOT_CALLER, "/dev/fuse", "fuse", NOSUID_NODEV, OWNED_ROOT);
    expect(",,", &ROOT_CALLER, "/dev/fuse", "fuse", NOSUID_NODEV, OWNED_ROOT);
    expect("subtype=bindfs", &ROOT_CALLER, "bindfs", "fuse.bindfs", NOSUID_NODEV, OWNED_ROOT);
    expect("fsname=a\\,b\\\\c,subtype=x\\,y", &ROOT_CALLER, "a,b\\c", "fuse.x,y", NOSUID_NODEV,
           OWNED_ROOT);
    expect("fsname=first,fsname=second", &ROOT_CALLER, "second", "fuse", NOSUID_NODEV, OWNED_ROOT);
    expect("blkdev,fsname=/dev/sdz,blksize=4096", &ROOT_CALLER, "/dev/sdz", "fuseblk",
           NOSUID_NODEV, "blksize=4096," OWNED_ROOT);
    struct fuse_caller file = ROOT_CALLER;
    file.rootmode = S_IFREG | 0644; /* only the type bits count */
    expect("", &file, "/dev/fuse", "fuse", NOSUID_NODEV,
           "fd=5,rootmode=100000,user_id=0,group_id=0");
}

static void test_flags(void)
{
    expect("ro,noexec,sync,dirsync,noatime,nodiratime,nosymfollow,lazytime", &USER_CALLER,
           "/dev/fuse", "fuse", NOSUID_NODEV | MS_RDONLY | MS_NOEXEC | MS_SYNCHRONOUS |
           MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME | MS_NOSYMFOLLOW | MS_LAZYTIME, OWNED_USER);
    expect("ro,rw,sync,async,relatime,norelatime", &ROOT_CALLER, "/dev/fuse", "fuse",
           NOSUID_NODEV, OWNED_ROOT);
    expect("suid,dev", &ROOT_CALLER, "/dev/fuse", "fuse", 0, OWNED_ROOT);
    /* a user asking for suid or dev is ignored, as fusermount does */
    expect("suid,dev", &USER_CALLER, "/dev/fuse", "fuse", NOSUID_NODEV, OWNED_USER);
}

static void test_owned_options_dropped(void)
{
    expect("fd=99,rootmode=100000,user_id=0,group_id=0,default_permissions", &USER_CALLER,
           "/dev/fuse", "fuse", NOSUID_NODEV, "default_permissions," OWNED_USER);
    struct outcome o = translate("auto_unmount,nonempty,large_read", &ROOT_CALLER);
    CHECK(o.rc == 0 && o.m.auto_unmount == 1, "auto_unmount noted: rc %d", o.rc);
    CHECK(strcmp(o.m.data, OWNED_ROOT) == 0, "userspace-only options dropped: [%s]", o.m.data);
}

static void test_refusals(void)
{
    const char *other = "option allow_other only allowed if 'user_allow_other' is set in "
                        "/etc/fuse.conf";
    expect_refusal("allow_other", &USER_CALLER, other);
    struct fuse_caller allowed = USER_CALLER;
    allowed.user_allow_other = 1;
    expect("allow_other", &allowed, "/dev/fuse", "fuse", NOSUID_NODEV, "allow_other," OWNED_USER);
    expect("allow_other", &ROOT_CALLER, "/dev/fuse", "fuse", NOSUID_NODEV,
           "allow_other," OWNED_ROOT);
    expect_refusal("blkdev", &USER_CALLER, "option blkdev is privileged");
    expect_refusal("rw,context=x", &ROOT_CALLER, "unknown option 'context=x'");
    expect_refusal("user=bob", &ROOT_CALLER, "unknown option 'user=bob'");
    /* an option quoted in the reason goes to stderr: credentials masked */
    expect_refusal("rw,password=hunter2", &ROOT_CALLER, "unknown option 'password=<masked>'");
    expect_refusal("x-password=\"a,b\"", &USER_CALLER, "unknown option 'x-password=<masked>'");
    expect_refusal("Token=t]0", &ROOT_CALLER, "unknown option 'Token=<masked>'");
    expect_refusal("allow_root", &ROOT_CALLER, "unknown option 'allow_root'");
    expect_refusal("default_permissionsx", &ROOT_CALLER, "unknown option 'default_permissionsx'");
    expect_refusal("max_read=12k", &ROOT_CALLER, "option 'max_read=12k' needs a decimal number");
    expect_refusal("blksize=", &ROOT_CALLER, "option 'blksize=' needs a decimal number");
}

static void test_limits(void)
{
    static char opts[6000], fsname[4200];
    for (size_t off = 0; off + 20 < sizeof opts - 1; off += 20)
        memcpy(opts + off, "default_permissions,", 20);
    expect_refusal(opts, &ROOT_CALLER, "mount options too long");
    memcpy(fsname, "fsname=", 7);
    memset(fsname + 7, 's', sizeof fsname - 8);
    expect_refusal(fsname, &ROOT_CALLER, "fsname longer than 4095 bytes");
    fsname[7 + 4095] = '\0';
    struct outcome o = translate(fsname, &ROOT_CALLER);
    CHECK(o.rc == 0 && strlen(o.m.source) == 4095, "a 4095-byte fsname fits: %s", o.why);
    char subtype[300] = "subtype=";
    memset(subtype + 8, 't', 251); /* "fuse." + 251 bytes: one over the 255 of FSTYPE */
    expect_refusal(subtype, &ROOT_CALLER, "subtype too long");
}

int main(void)
{
    test_callers_as_observed();
    test_sources_and_types();
    test_flags();
    test_owned_options_dropped();
    test_refusals();
    test_limits();
    return check_summary("test_fuse_options");
}
