package io.mounter;

import io.mounter.protocol.Limits;
import picocli.CommandLine;

/** The build's version, from the jar manifest. */
public final class Version {
    private Version() {
    }

    public static String current() {
        String version = Version.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** For picocli's --version. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"mounter " + current() + " (protocol " + Limits.VERSION + ")"};
        }
    }
}
