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

    public static async Task<WsClient> ConnectAsync(Uri baseAddress, string query, CancellationToken cancellationToken)
    {
        var client = new WsClient(cancellationToken);
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/events/ws", Query = query.TrimStart('?') }.Uri;
        await client._socket.ConnectAsync(uri, cancellationToken);
        return client;
    }

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

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
        }
        _socket.Dispose();
    }
}
