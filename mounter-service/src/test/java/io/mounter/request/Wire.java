package io.mounter.request;

import io.mounter.door.MessageExchange;
import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.protocol.MessageCodec;

/** A request handled as the socket door handles it: bytes in, bytes out, the log line written. */
final class Wire {
    private Wire() {
    }

    static byte[] handle(RequestHandler handler, ReceivedMessage message, PeerCredentials peer) {
        Handled handled = MessageExchange.answer(handler, message, peer);
        byte[] reply = MessageCodec.encodeReply(handled.reply());
        handled.log();
        return reply;
    }
}
