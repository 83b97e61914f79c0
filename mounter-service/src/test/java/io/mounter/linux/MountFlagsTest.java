package io.mounter.linux;

import static io.mounter.linux.MountFlags.MS_BIND;
import static io.mounter.linux.MountFlags.MS_LAZYTIME;
import static io.mounter.linux.MountFlags.MS_MGC_VAL;
import static io.mounter.linux.MountFlags.MS_NODEV;
import static io.mounter.linux.MountFlags.MS_NOSUID;
import static io.mounter.linux.MountFlags.MS_RDONLY;
import static io.mounter.linux.MountFlags.MS_REC;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MountFlagsTest {

    @Test
    void describeNamesEachFlagInBitOrder() {
        assertEquals("MS_NOSUID|MS_NODEV", MountFlags.describe(MS_NODEV | MS_NOSUID));
        assertEquals("MS_BIND|MS_REC", MountFlags.describe(MS_BIND | MS_REC));
        assertEquals("MS_RDONLY|MS_LAZYTIME", MountFlags.describe(MS_RDONLY | MS_LAZYTIME));
    }

    @Test
    void describeOfNothingIsZero() {
        assertEquals("0", MountFlags.describe(0));
    }

    @Test
    void describeShowsUnnamedBitsInHex() {
        assertEquals("MS_RDONLY|0x10000000000", MountFlags.describe(MS_RDONLY | 1L << 40));
        assertEquals("0x8000000000000000", MountFlags.describe(Long.MIN_VALUE));
    }

    @Test
    void withoutMagicDropsExactlyTheOldMagic() {
        assertEquals(MS_RDONLY | MS_NOSUID, MountFlags.withoutMagic(MS_MGC_VAL | MS_RDONLY | MS_NOSUID));
        assertEquals(0, MountFlags.withoutMagic(MS_MGC_VAL));
        assertEquals(MS_RDONLY, MountFlags.withoutMagic(MS_RDONLY));
        long otherTopBits = 0xC0EE0000L | MS_RDONLY;
        assertEquals(otherTopBits, MountFlags.withoutMagic(otherTopBits), "not the magic: kept, for policy to refuse");
    }
}
