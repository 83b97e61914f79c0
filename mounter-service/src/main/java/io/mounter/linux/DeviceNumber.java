package io.mounter.linux;

/** A dev_t as major:minor. */
public record DeviceNumber(int major, int minor) {
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
