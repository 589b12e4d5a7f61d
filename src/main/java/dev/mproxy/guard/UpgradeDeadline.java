package dev.mproxy.guard;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * The device port's deadline (limits 1.1–1.3): from accept, TLS and the WebSocket upgrade must be done within
 * {@code timeout}, or the connection is closed; a reply other than {@code 101} (or an interim {@code 1xx}) closes
 * the connection once written; a connection that fails before the upgrade (not TLS, a broken handshake, a reset)
 * is closed with one line in the log and no stack trace. Sits behind the HTTP codec, where it sees the responses
 * go out; it leaves the pipeline once {@code 101} is written.
 */
public final class UpgradeDeadline extends ChannelDuplexHandler {

    private final Duration timeout;
    private final Refusals refusals;
    private ScheduledFuture<?> timer;

    public UpgradeDeadline(Duration timeout, Refusals refusals) {
        this.timeout = timeout;
        this.refusals = refusals;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // added when the connection is accepted: the deadline counts from there, TLS included
        timer = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                refusals.refuse(Refusal.HANDSHAKE_TIMEOUT, "closed " + ctx.channel().remoteAddress() + " after "
                        + timeout.toMillis() + " ms");
                ctx.close();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timer.cancel(false);
        ctx.fireChannelInactive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpResponse)) {
            ctx.write(msg, promise);
            return;
        }
        HttpResponseStatus status = ((HttpResponse) msg).status();
        if (status.code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
            timer.cancel(false);
            ctx.pipeline().remove(this);
            ctx.write(msg, promise);
        } else if (status.codeClass() == io.netty.handler.codec.http.HttpStatusClass.INFORMATIONAL) {
            ctx.write(msg, promise); // 100 Continue: the request goes on
        } else if (!ctx.channel().isActive()) {
            ctx.write(msg, promise); // the answer to a request cut short by our own close: fails, unlogged
        } else {
            refusals.refuse(Refusal.UPGRADE_REFUSED, ctx.channel().remoteAddress() + " answered " + status.code());
            ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof NotSslRecordException || root instanceof SSLException) {
            refusals.refuse(Refusal.NOT_TLS, ctx.channel().remoteAddress() + ": "
                    + RemoteText.quoted(String.valueOf(root.getMessage())));
        } else if (!(root instanceof IOException)) {
            refusals.refuse(Refusal.UPGRADE_REFUSED, ctx.channel().remoteAddress() + ": "
                    + root.getClass().getSimpleName() + ' ' + RemoteText.quoted(String.valueOf(root.getMessage())));
        }
        ctx.close(); // before the upgrade every failure is the peer's: no trace, one line at most
    }
}
