using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace PushHub.Tests.Infrastructure;

/// <summary>A raw WebSocket client of <c>/events/ws</c> that reads whole text frames.</summary>
public sealed class WsClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationToken _cancellationToken;

    private WsClient(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    public WebSocket Socket => _socket;

    /// <summary>Connects to <c>/events/ws</c>; <paramref name="configure"/> may add credentials (e.g. a key header).</summary>
    public static async Task<WsClient> ConnectAsync(Uri baseAddress, string query, CancellationToken cancellationToken,
        Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new WsClient(cancellationToken);
        configure?.Invoke(client._socket.Options);
        await client._socket.ConnectAsync(Endpoint(baseAddress, "/events/ws", query), cancellationToken);
        return client;
    }

    /// <summary>
    /// Tries a real WebSocket upgrade of <paramref name="path"/> that the hub is expected to refuse, and answers the
    /// HTTP response it refused with; fails the test if the upgrade succeeds.
    /// </summary>
    public static async Task<RefusedUpgrade> RefusedAsync(Uri baseAddress, string path, string query, CancellationToken cancellationToken,
        Action<ClientWebSocketOptions>? configure = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(Endpoint(baseAddress, path, query), cancellationToken));
        // ClientWebSocket keeps the response's headers but not its content headers or body.
        return new RefusedUpgrade(socket.HttpStatusCode, socket.HttpResponseHeaders ?? new Dictionary<string, IEnumerable<string>>());
    }

    /// <summary>The <c>ws://</c> address of <paramref name="path"/> on the hub at <paramref name="baseAddress"/>.</summary>
    public static Uri Endpoint(Uri baseAddress, string path, string query) =>
        new UriBuilder(baseAddress) { Scheme = "ws", Path = path, Query = query.TrimStart('?') }.Uri;

    public Task SendAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, _cancellationToken);

    /// <summary>The next text frame, or null when the server closed the connection.</summary>
    public async Task<string?> ReceiveTextAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, _cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    public async Task<JsonObject> ReceiveJsonAsync()
    {
        var text = await ReceiveTextAsync();
        Assert.True(text is not null, "the server closed the connection");
        return JsonNode.Parse(text)!.AsObject();
    }

    public ValueTask DisposeAsync() => CloseAndDisposeAsync(_socket);

    /// <summary>Says goodbye (a normal close, if the socket is still open) and disposes <paramref name="socket"/>.</summary>
    public static async ValueTask CloseAndDisposeAsync(WebSocket socket)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
        }
        socket.Dispose();
    }
}

/// <summary>The HTTP answer to a refused WebSocket upgrade.</summary>
public sealed record RefusedUpgrade(System.Net.HttpStatusCode Status, IReadOnlyDictionary<string, IEnumerable<string>> Headers);
