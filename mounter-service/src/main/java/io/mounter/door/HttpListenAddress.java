package io.mounter.door;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import picocli.CommandLine;

/**
 * Where the status endpoint listens: {@code HOST:PORT} on a loopback address,
 * {@code unix:PATH}, or {@code off}.
 *
 * <p>Loopback only, by rule: the mount container runs with the node's network
 * (hostNetwork), so a wildcard or node address would publish /metrics and /healthz on the
 * node's network, to every pod and machine that can reach the node.
 */
public sealed interface HttpListenAddress {
    String DEFAULT = "127.0.0.1:9477";

    /** No endpoint. */
    record Off() implements HttpListenAddress {
        @Override
        public String toString() {
            return "off";
        }
    }

    /** TCP on a loopback address; port 0 takes a free one. */
    record Tcp(InetSocketAddress address) implements HttpListenAddress {
        public Tcp {
            if (address.isUnresolved() || !address.getAddress().isLoopbackAddress()) {
                throw new IllegalArgumentException(address.getHostString() + " is not a loopback address; mounterd"
                        + " runs with the node's network, so any other address would open the status endpoint to"
                        + " the node's network: use 127.0.0.1:PORT, [::1]:PORT or unix:PATH");
            }
        }

        @Override
        public String toString() {
            return address.getAddress().getHostAddress() + ":" + address.getPort();
        }
    }

    /** A unix stream socket at an absolute path. */
    record Unix(Path path) implements HttpListenAddress {
        public Unix {
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("unix socket path must be absolute: " + path);
            }
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /**
     * Parses {@code off}, {@code unix:/ABSOLUTE/PATH}, {@code HOST:PORT} or {@code [IPV6]:PORT}.
     *
     * @throws IllegalArgumentException for anything else, a host that does not resolve, or
     *     one that is not a loopback address
     */
    static HttpListenAddress parse(String text) {
        if (text.equals("off")) {
            return new Off();
        }
        if (text.startsWith("unix:")) {
            return new Unix(Path.of(text.substring("unix:".length())));
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected HOST:PORT, unix:PATH or off, not '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port must be a number: '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        try {
            return new Tcp(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("unknown host '" + host + "'");
        }
    }

    /** For picocli: a bad value stops mounterd at start with the reason. */
    final class Converter implements CommandLine.ITypeConverter<HttpListenAddress> {
        @Override
        public HttpListenAddress convert(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
