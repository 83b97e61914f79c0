package io.mounter.policy;

/**
 * A mount source as logs may show it. Most sources carry no secret (glusterfs
 * {@code host:/volume}, sshfs {@code user@host:/dir}), but URL-like ones can:
 * {@code https://user:password@dav.example/dir} (davfs2), {@code //user:password@server/share}.
 */
public final class MountSource {
    private static final String MASK = "<masked>";

    private MountSource() {
    }

    /**
     * The source with the password of a {@code user:password@} part replaced by
     * {@code <masked>}; every other source unchanged. Null becomes "".
     */
    public static String mask(String source) {
        if (source == null) {
            return "";
        }
        int at = source.indexOf('@');
        if (at < 0) {
            return source;
        }
        String userInfo = source.substring(0, at);
        int scheme = userInfo.indexOf("://");
        int start = Math.max(scheme < 0 ? 0 : scheme + 3, userInfo.lastIndexOf('/') + 1);
        int colon = userInfo.indexOf(':', start);
        return colon < 0 ? source : source.substring(0, colon + 1) + MASK + source.substring(at);
    }
}
