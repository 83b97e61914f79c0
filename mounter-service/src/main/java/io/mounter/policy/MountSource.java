package io.mounter.policy;

/**
 * A mount source as logs may show it. Most sources carry no secret (glusterfs
 * {@code host:/volume}, sshfs {@code user@host:/dir}), but URL-like ones can:
 * {@code https://user:password@dav.example/dir} (davfs2), {@code //user:password@server/share}.
 */
public final class MountSource {
    private MountSource() {
    }

    /**
     * The source with the password of a {@code user:password@} part replaced by
     * {@code <masked>} ({@link CredentialMask#source}: the userinfo ends at the last '@'
     * before the path); every other source unchanged. Null becomes "".
     */
    public static String mask(String source) {
        return CredentialMask.source(source);
    }
}
