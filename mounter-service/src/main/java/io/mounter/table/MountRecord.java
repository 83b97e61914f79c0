package io.mounter.table;

import io.mounter.linux.DeviceNumber;
import io.mounter.linux.Fuse;
import io.mounter.protocol.MountEntry;

/**
 * What mounterd keeps of a mount it made: the entry it reports and the device of the
 * mounted filesystem (for FUSE, 0:N with N the connection that names its daemon), or null.
 */
public record MountRecord(MountEntry entry, DeviceNumber device) {

    /** The FUSE connection id, or -1 when this is no FUSE mount or the device is unknown. */
    public int fuseConnection() {
        return Fuse.connection(entry.fstype(), device);
    }
}
