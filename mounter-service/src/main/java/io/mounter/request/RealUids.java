package io.mounter.request;

import java.util.OptionalInt;

/** The real uid of a peer process (SO_PEERCRED gives the effective one), if it can be read. */
@FunctionalInterface
public interface RealUids {
    OptionalInt realUid(int pid);
}
