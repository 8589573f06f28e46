using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace PushHub.WebSockets;

/// <summary>
/// Puts a <see cref="KeepAliveStream"/> under the WebSocket of every <c>/events/ws</c> connection: a middleware ahead of
/// <c>UseWebSockets</c> wraps the request's upgrade features (HTTP/1.1 <c>Upgrade</c> and HTTP/2 extended CONNECT), so
/// the stream ASP.NET Core builds its WebSocket on is the keep-alive's, and the handshake stays ASP.NET Core's own.
/// </summary>
public sealed class WebSocketKeepAlive(TimeProvider time, IOptions<PushWebSocketOptions> options)
{
    private readonly TimeSpan _interval = TimeSpan.FromSeconds(options.Value.KeepAliveSeconds);

    /// <summary>The middleware: wraps the upgrade features, then runs the rest of the pipeline.</summary>
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new Upgrade(upgrade, stream => Around(stream, context)));
        }
        if (context.Features.Get<IHttpExtendedConnectFeature>() is { } connect)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(new ExtendedConnect(connect, stream => Around(stream, context)));
        }
        return next(context);
    }

    private KeepAliveStream Around(Stream stream, HttpContext context)
    {
        // A peer that answers nothing for as long again as the interval after a ping is gone (as .NET's own
        // KeepAliveTimeout set to the interval behaved).
        var keepAlive = new KeepAliveStream(stream, time, _interval, _interval, context.Abort);
        context.Response.RegisterForDisposeAsync(keepAlive);
        return keepAlive;
    }

    private sealed class Upgrade(IHttpUpgradeFeature inner, Func<Stream, Stream> wrap) : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => wrap(await inner.UpgradeAsync());
    }

    private sealed class ExtendedConnect(IHttpExtendedConnectFeature inner, Func<Stream, Stream> wrap) : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => wrap(await inner.AcceptAsync());
    }
}
