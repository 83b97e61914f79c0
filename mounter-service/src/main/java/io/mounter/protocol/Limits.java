package io.mounter.protocol;

/** Size limits of protocol version 1. */
public final class Limits {
    public static final int VERSION = 1;
    public static final int HEADER_SIZE = 16;
    public static final int MAX_REQUEST = 16384;
    public static final int MAX_REPLY = 65536;
    /** PATH_MAX less the terminating NUL. */
    public static final int PATH_MAX = 4095;
    /** mount(2) copies at most one page of options. */
    public static final int DATA_MAX = 4096;
    public static final int FSTYPE_MAX = 255;
    public static final int MESSAGE_MAX = 1024;
    /** What RUN_MOUNT passes back of a helper's output. */
    public static final int OUTPUT_MAX = 8192;

    private Limits() {
    }
}
