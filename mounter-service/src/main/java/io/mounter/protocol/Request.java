package io.mounter.protocol;

/** A decoded request. Strings are as the caller sent them; policy has not looked yet. */
public sealed interface Request permits Request.Mount, Request.Umount, Request.List {
    int id();

    Operation operation();

    /**
     * mount(2) as the caller made it. {@code senderFd} is the caller's number of the
     * attached descriptor, or -1 when none is announced.
     */
    record Mount(int id, String source, String target, String fstype, long flags, String data,
                 int senderFd) implements Request {
        public Operation operation() {
            return Operation.MOUNT;
        }

        public boolean announcesDescriptor() {
            return senderFd >= 0;
        }
    }

    record Umount(int id, String target, int flags) implements Request {
        public Operation operation() {
            return Operation.UMOUNT;
        }
    }

    record List(int id, int cursor) implements Request {
        public Operation operation() {
            return Operation.LIST;
        }
    }
}
