package io.mounter.request.volume;

import io.mounter.linux.FsStats;

/**
 * A volume's usage (null while its daemon does not serve) and condition.
 *
 * @param abnormalReason null while the volume serves, else why not
 */
public record VolumeStats(FsStats usage, String abnormalReason) {
    static VolumeStats of(FsStats usage) {
        return new VolumeStats(usage, null);
    }

    static VolumeStats abnormal(String reason) {
        return new VolumeStats(null, reason);
    }

    public boolean abnormal() {
        return abnormalReason != null;
    }
}
