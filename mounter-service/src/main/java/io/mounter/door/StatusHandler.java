package io.mounter.door;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers each aggregated request with a {@link StatusPages} page; closes on any error. */
final class StatusHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(StatusHandler.class);

    private final StatusPages pages;

    StatusHandler(StatusPages pages) {
        this.pages = pages;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            byte[] body = "bad request\n".getBytes(StandardCharsets.UTF_8);
            send(ctx, response(HttpResponseStatus.BAD_REQUEST, StatusPages.TEXT, body, false), false);
            return;
        }
        StatusPages.Page page = pages.answer(request.method(), new QueryStringDecoder(request.uri()).path());
        FullHttpResponse response = response(page.status(), page.contentType(), page.body(),
                request.method().equals(HttpMethod.HEAD));
        if (page.allow() != null) {
            response.headers().set(HttpHeaderNames.ALLOW, page.allow());
        }
        send(ctx, response, HttpUtil.isKeepAlive(request));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body,
                                             boolean headOnly) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                headOnly ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // idle timeouts and peers that hang up land here; nothing to answer
        log.atDebug().setMessage("status connection closed").addKeyValue("error", cause.toString()).log();
        ctx.close();
    }
}
