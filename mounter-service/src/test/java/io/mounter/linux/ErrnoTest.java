package io.mounter.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ErrnoTest {
    @Test
    void namesTheErrnosMountPathsReturn() {
        assertEquals("EPERM", Errno.name(Errno.EPERM));
        assertEquals("ENOENT", Errno.name(Errno.ENOENT));
        assertEquals("EACCES", Errno.name(Errno.EACCES));
        assertEquals("EBUSY", Errno.name(Errno.EBUSY));
        assertEquals("EINVAL", Errno.name(Errno.EINVAL));
        assertEquals("EMSGSIZE", Errno.name(Errno.EMSGSIZE));
        assertEquals("ETIMEDOUT", Errno.name(Errno.ETIMEDOUT));
        assertEquals("EHOSTDOWN", Errno.name(Errno.EHOSTDOWN));
        assertEquals("ENOTCONN", Errno.name(107));
        assertEquals("ESTALE", Errno.name(116));
    }

    @Test
    void anErrnoOutsideTheTableKeepsItsNumber() {
        assertEquals("errno_133", Errno.name(133));
        assertEquals("errno_-1", Errno.name(-1));
    }
}
