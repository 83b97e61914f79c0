package io.mounter.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mounter.request.RequestHandler;
import io.mounter.linux.Errno;
import io.mounter.protocol.Limits;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Operation;
import io.mounter.protocol.Reply;
import io.mounter.protocol.Request;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The request decoder against generated and mutated messages (docs/testing.md): it
 * returns a request or throws {@link MalformedMessageException} with one of the errnos
 * the protocol names, never anything else; the refusal it carries encodes into a valid
 * reply; and whatever decodes, re-encodes to the same request.
 */
class DecoderFuzzTest {
    private static final Set<Integer> DECODER_ERRNOS = Set.of(Errno.EBADMSG, Errno.EPROTONOSUPPORT, Errno.EINVAL);

    @Test
    void decodeRequestOnlyEverThrowsMalformedMessage() {
        int[] outcomes = new int[2];
        FuzzRun.named("decodeRequest").forEach((random, iteration) -> {
            byte[] message = new HostileInput(random).message();
            try {
                Request request = MessageCodec.decodeRequest(message);
                outcomes[0]++;
                checkDecoded(message, request);
            } catch (MalformedMessageException e) {
                outcomes[1]++;
                checkMalformed(message, e);
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError(e + " for message " + HexFormat.of().formatHex(message), e);
            }
        });
        System.out.printf("decodeRequest: %d decoded, %d malformed%n", outcomes[0], outcomes[1]);
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0, "the generator reaches both outcomes");
    }

    private static void checkDecoded(byte[] message, Request request) {
        String hex = HexFormat.of().formatHex(message);
        int kind = message[6] & 0xff | (message[7] & 0xff) << 8;
        assertEquals(kind, request.operation().code(), "operation of " + hex);
        if (message.length <= Limits.MAX_REQUEST - 64) {
            // the encoder adds at most the flag fields a decoded request leaves implicit
            assertEquals(request, MessageCodec.decodeRequest(MessageCodec.encodeRequest(request)),
                    "round trip of " + hex);
        }
    }

    private static void checkMalformed(byte[] message, MalformedMessageException e) {
        String hex = HexFormat.of().formatHex(message);
        assertTrue(DECODER_ERRNOS.contains(e.errno()), "errno " + e.errno() + " for " + hex);
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "no reason for " + hex);
        // what RequestHandler answers with: must encode, fit and decode
        Reply reply = Reply.of(e.id(), e.kind(), e.errno(), e.getMessage());
        byte[] encoded = MessageCodec.encodeReply(reply);
        assertTrue(encoded.length <= Limits.MAX_REPLY);
        Reply decoded = MessageCodec.decodeReply(encoded);
        assertEquals(e.errno(), decoded.status());
        assertEquals(e.id(), decoded.id());
        assertEquals(e.kind() | Operation.REPLY_BIT, decoded.kind());
    }
}
