package io.mounter.door;

import io.mounter.linux.PeerCredentials;
import io.mounter.linux.ReceivedMessage;
import io.mounter.protocol.MalformedMessageException;
import io.mounter.protocol.MessageCodec;
import io.mounter.protocol.Request;
import io.mounter.request.Attachment;
import io.mounter.request.Handled;
import io.mounter.request.RequestHandler;

/** One message of the socket door turned into a request, and the request into its handling. */
public final class MessageExchange {
    private MessageExchange() {
    }

    /**
     * Decodes {@code message} and hands it to {@code handler}; a message that does not
     * decode is answered as malformed. The message's descriptors stay the caller's to close.
     */
    public static Handled answer(RequestHandler handler, ReceivedMessage message, PeerCredentials peer) {
        Request request;
        try {
            request = MessageCodec.decodeRequest(message.payload(), message.truncated());
        } catch (MalformedMessageException e) {
            return handler.malformed(e, peer);
        }
        return handler.handle(request, new Attachment(message.descriptors(), message.descriptorsTruncated()), peer);
    }
}
