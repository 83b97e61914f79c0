package io.mounter.protocol;

/**
 * A decoded request. Strings are as the caller sent them; policy has not looked yet.
 * Code that treats each kind differently does so through a {@link Handler}: a new kind of
 * request is then a compile error wherever it is not handled.
 */
public sealed interface Request permits Request.Mount, Request.Umount, Request.List, Request.RunMount,
        Request.Status {
    int id();

    Operation operation();

    /** Calls the method of {@code handler} for this kind of request. */
    <R> R accept(Handler<R> handler);

    /** One method per kind of request. */
    interface Handler<R> {
        R mount(Mount request);

        R umount(Umount request);

        R list(List request);

        R runMount(RunMount request);

        R status(Status request);
    }

    /**
     * mount(2) as the caller made it. {@code senderFd} is the caller's number of the
     * attached descriptor, or -1 when none is announced.
     */
    record Mount(int id, String source, String target, String fstype, long flags, String data,
                 int senderFd) implements Request {
        public Operation operation() {
            return Operation.MOUNT;
        }

        public <R> R accept(Handler<R> handler) {
            return handler.mount(this);
        }

        public boolean announcesDescriptor() {
            return senderFd >= 0;
        }
    }

    record Umount(int id, String target, int flags) implements Request {
        public Operation operation() {
            return Operation.UMOUNT;
        }

        public <R> R accept(Handler<R> handler) {
            return handler.umount(this);
        }
    }

    record List(int id, int cursor) implements Request {
        public Operation operation() {
            return Operation.LIST;
        }

        public <R> R accept(Handler<R> handler) {
            return handler.list(this);
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

        public <R> R accept(Handler<R> handler) {
            return handler.runMount(this);
        }
    }

    record Status(int id) implements Request {
        public Operation operation() {
            return Operation.STATUS;
        }

        public <R> R accept(Handler<R> handler) {
            return handler.status(this);
        }
    }
}
