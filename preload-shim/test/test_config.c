/* Pattern and prefix matching, and where the settings come from (env, file, defaults). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "shim_config.h"

static struct shim_config cfg;
static char conf_path[] = "/tmp/mounter-test-config-XXXXXX";

static void write_conf(const char *text)
{
    FILE *f = fopen(conf_path, "w");
    CHECK(f != NULL, "cannot write %s", conf_path);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_fstype_patterns(void)
{
    shim_config_load(&cfg, NULL, NULL, "/nonexistent/preload.conf");
    const char *yes[] = {"fuse", "fuse.sshfs", "fuse.glusterfs", "fuseblk", "fuseblk.ntfs",
                         "fuse."};
    const char *no[] = {"fusex", "fuse-sshfs", "tmpfs", "", "nfs", "glusterfs", "FUSE"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(shim_forwards_fstype(&cfg, yes[i]), "default forwards %s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!shim_forwards_fstype(&cfg, no[i]), "default keeps %s", no[i]);
    CHECK(!shim_forwards_fstype(&cfg, NULL), "NULL fstype");

    shim_config_load(&cfg, " nfs , fuse.ss*,fuse.glusterfs,,", NULL, NULL);
    CHECK(shim_forwards_fstype(&cfg, "nfs"), "spaces trimmed");
    CHECK(shim_forwards_fstype(&cfg, "fuse.glusterfs"), "exact");
    CHECK(!shim_forwards_fstype(&cfg, "fuse.sshfs"), "'*' without '.' is literal");
    CHECK(shim_forwards_fstype(&cfg, "fuse.ss*"), "literal '*' pattern");
    CHECK(!shim_forwards_fstype(&cfg, "fuse"), "env replaces defaults");
}

static void test_umount_prefixes(void)
{
    shim_config_load(&cfg, NULL, NULL, "/nonexistent/preload.conf");
    CHECK(shim_forwards_umount(&cfg, "/var/lib/kubelet"), "prefix itself");
    CHECK(shim_forwards_umount(&cfg, "/var/lib/kubelet/pods/p/volumes/v"), "below");
    CHECK(!shim_forwards_umount(&cfg, "/var/lib/kubeletx/pods"), "not a component");
    CHECK(!shim_forwards_umount(&cfg, "/var/lib"), "above");
    CHECK(!shim_forwards_umount(&cfg, "var/lib/kubelet/pods"), "relative");
    CHECK(!shim_forwards_umount(&cfg, ""), "empty");
    CHECK(!shim_forwards_umount(&cfg, NULL), "NULL");

    shim_config_load(&cfg, NULL, "/a/b/,relative/dir,/c", NULL);
    CHECK(shim_forwards_umount(&cfg, "/a/b/c"), "trailing slash of prefix ignored");
    CHECK(!shim_forwards_umount(&cfg, "/a/bc"), "/a/b vs /a/bc");
    CHECK(shim_forwards_umount(&cfg, "/c/"), "/c/");
    CHECK(!shim_forwards_umount(&cfg, "/relative/dir/x"), "relative prefix never matches");
    CHECK(!shim_forwards_umount(&cfg, "/var/lib/kubelet/x"), "env replaces default");

    shim_config_load(&cfg, NULL, "", NULL);
    CHECK(!shim_forwards_umount(&cfg, "/var/lib/kubelet/x"), "empty env forwards nothing");
    shim_config_load(&cfg, NULL, "/", NULL);
    CHECK(shim_forwards_umount(&cfg, "/anything"), "/ covers everything absolute");
}

static void test_env_file_precedence(void)
{
    write_conf("# mounter preload\n"
               "forward-fstype fuse.sshfs   # trailing comment\n"
               "  forward-fstype\tnfs4\r\n"
               "forward-umount-prefix /srv/mnt/\n"
               "forward-fstype\n"
               "unknown-key value\n"
               "forward-fstype two words\n");
    shim_config_load(&cfg, NULL, NULL, conf_path);
    CHECK(shim_forwards_fstype(&cfg, "fuse.sshfs") && shim_forwards_fstype(&cfg, "nfs4"),
          "file fstypes");
    CHECK(cfg.fstypes.count == 2, "malformed lines ignored: %d entries", cfg.fstypes.count);
    CHECK(!shim_forwards_fstype(&cfg, "fuse"), "file replaces default fstypes");
    CHECK(shim_forwards_umount(&cfg, "/srv/mnt/x"), "file prefix");
    CHECK(!shim_forwards_umount(&cfg, "/var/lib/kubelet/x"), "file replaces default prefix");

    shim_config_load(&cfg, "fuse.bindfs", NULL, conf_path);
    CHECK(shim_forwards_fstype(&cfg, "fuse.bindfs") && !shim_forwards_fstype(&cfg, "nfs4"),
          "env fstypes win over file");
    CHECK(shim_forwards_umount(&cfg, "/srv/mnt/x"), "file still gives the prefixes");

    shim_config_load(&cfg, NULL, "/other", conf_path);
    CHECK(shim_forwards_fstype(&cfg, "nfs4") && !shim_forwards_umount(&cfg, "/srv/mnt/x"),
          "env prefixes win, file still gives fstypes");

    write_conf("forward-umount-prefix /only/prefix\n");
    shim_config_load(&cfg, NULL, NULL, conf_path);
    CHECK(shim_forwards_fstype(&cfg, "fuse.sshfs"), "key absent from file keeps default");
    CHECK(!shim_forwards_umount(&cfg, "/var/lib/kubelet/x"), "key present replaces default");
}

/* The process-wide instance reads MOUNTER_PRELOAD_CONFIG and the env once. */
static void test_global(void)
{
    write_conf("forward-fstype fuse.global\nforward-umount-prefix /from/file\n");
    setenv("MOUNTER_PRELOAD_CONFIG", conf_path, 1);
    setenv("MOUNTER_FORWARD_UMOUNT_PREFIXES", "/from/env", 1);
    unsetenv("MOUNTER_FORWARD_FSTYPES");
    const struct shim_config *g = shim_config_get();
    CHECK(shim_forwards_fstype(g, "fuse.global") && !shim_forwards_fstype(g, "fuse"),
          "global fstypes from the file");
    CHECK(shim_forwards_umount(g, "/from/env/x") && !shim_forwards_umount(g, "/from/file/x"),
          "global prefixes from env");
    setenv("MOUNTER_FORWARD_FSTYPES", "tmpfs", 1);
    CHECK(shim_config_get() == g && !shim_forwards_fstype(g, "tmpfs"), "loaded only once");
}

int main(void)
{
    int fd = mkstemp(conf_path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    test_fstype_patterns();
    test_umount_prefixes();
    test_env_file_precedence();
    test_global();
    unlink(conf_path);
    return check_summary("test_config");
}
