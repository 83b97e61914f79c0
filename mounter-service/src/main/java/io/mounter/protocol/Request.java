package io.mounter.protocol;

/** A decoded request. Strings are as the caller sent them; policy has not looked yet. */
public sealed interface Request permits Request.Mount, Request.Umount, Request.List, Request.RunMount,
        Request.Status {
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

    /**
     * Run the mount helper ({@code mount -t FSTYPE -o OPTIONS SOURCE TARGET}) inside the
     * mount container, as mounterctl mount asks. {@code timeoutMillis} 0 means the default.
     */
    record RunMount(int id, String source, String target, String fstype, String options, int timeoutMillis)
            implements Request {
        public Operation operation() {
            return Operation.RUN_MOUNT;
        }
    }

    record Status(int id) implements Request {
        public Operation operation() {
            return Operation.STATUS;
        }
    }
}
