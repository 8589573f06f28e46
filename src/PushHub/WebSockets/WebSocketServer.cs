using Microsoft.Extensions.Options;
using PushHub.Http;
using PushHub.Hub;
using PushHub.Security;

namespace PushHub.WebSockets;

/// <summary>
/// <c>GET /events/ws</c>: events as WebSocket text frames (the event JSON), with the <c>op</c> control protocol
/// of the contract. SignalR's hub lives beside it at <c>/hubs/events</c>.
/// </summary>
public sealed class WebSocketServer(EventHub hub, ConnectionStats stats, StallWatchdog watchdog, TaskAccess access, IOptions<PushWebSocketOptions> options, ILogger<WebSocketServer> logger)
{
    private readonly PushWebSocketOptions _options = options.Value;

    /// <summary>Accepts one WebSocket request and serves it until it ends; anything else gets a 400 problem.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (SubscribeRequest.Read(context.Request, out var errors) is not { } request)
        {
            await Problems.Validation(errors).ExecuteAsync(context);
            return;
        }
        // The query's set is checked before the upgrade (403 problem); with neither task= nor after= nothing is
        // followed yet, so there is nothing to check until the client sends a subscribe op.
        if ((request.Filter.Tasks is not null || request.After is not null)
            && access.AuthorizeRead(context.User, request.Filter.Tasks, "A WebSocket without task= but with after=") is { } forbidden)
        {
            await forbidden.ExecuteAsync(context);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problems.Status(StatusCodes.Status400BadRequest, "WebSocket upgrade required",
                "Connect with a WebSocket client (Upgrade: websocket); for a plain HTTP stream use GET /events/sse.").ExecuteAsync(context);
            return;
        }

        using var lease = stats.Open(Transport.WebSocket);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            // The keep-alive is WebSocketKeepAlive's, under this socket, on the hub's clock: pings the client must
            // answer, so a peer that vanished without closing is detected and its subscriptions freed.
            KeepAliveInterval = TimeSpan.Zero,
        });
        var user = context.User;
        var connection = new WebSocketConnection(socket, hub, watchdog, _options, logger, context.TraceIdentifier,
            key => key is null ? access.CanReadAll(user) : access.CanRead(user, key));
        await connection.RunAsync(request, context.RequestAborted);
    }
}
