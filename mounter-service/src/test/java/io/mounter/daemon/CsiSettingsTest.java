package io.mounter.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CsiSettingsTest {
    @Test
    void theNodeIdIsTheFlagElseNodeNameElseTheHostname() {
        assertEquals("flag", CsiSettings.nodeId("flag", Map.of("NODE_NAME", "env"), () -> "host"));
        assertEquals("env", CsiSettings.nodeId(null, Map.of("NODE_NAME", "env"), () -> "host"));
        assertEquals("host", CsiSettings.nodeId(" ", Map.of("NODE_NAME", ""), () -> "host"));
    }

    @Test
    void offUnlessAnEndpointIsGivenAndAUnixSchemeIsAllowed() {
        CsiSettings none = parse();
        assertEquals(false, none.enabled());
        assertEquals("csi.mounter.io", none.driverName);
        CsiSettings unix = parse("--csi-endpoint", "unix:///var/lib/kubelet/plugins/x/csi.sock");
        assertEquals(Path.of("/var/lib/kubelet/plugins/x/csi.sock"), unix.socket());
    }

    private static CsiSettings parse(String... args) {
        @CommandLine.Command
        class Holder {
            @CommandLine.Mixin
            CsiSettings settings;
        }
        Holder holder = new Holder();
        new CommandLine(holder).parseArgs(args);
        return holder.settings;
    }
}
