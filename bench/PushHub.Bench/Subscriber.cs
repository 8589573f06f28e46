using System.Diagnostics;
using System.Net.WebSockets;

namespace PushHub.Bench;

/// <summary>
/// One subscriber's connection, SSE or WebSocket, to either server: it connects, says so, and hands every chunk
/// it reads to its <see cref="Receiver"/> until the run is cancelled or the server closes the stream.
/// </summary>
internal static class Subscriber
{
    /// <summary>Subscribes over <paramref name="transport"/> ("sse" or "ws") and reads until cancelled.</summary>
    public static Task RunAsync(string transport, HubTarget target, HttpClient http, SocketsHttpHandler handler, string task,
        Receiver receiver, SemaphoreSlim connecting, Action connected, CancellationToken cancellationToken) =>
        transport == "ws"
            ? RunWebSocketAsync(target, http.BaseAddress!, handler, task, receiver, connecting, connected, cancellationToken)
            : RunSseAsync(target, http, task, receiver, connecting, connected, cancellationToken);

    private static async Task RunSseAsync(HubTarget target, HttpClient http, string task, Receiver receiver,
        SemaphoreSlim connecting, Action connected, CancellationToken cancellationToken)
    {
        Stream stream;
        await connecting.WaitAsync(cancellationToken);
        try
        {
            using var request = target.SseRequest(target.SsePath(task));
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        }
        finally
        {
            connecting.Release();
        }
        connected();
        await using (stream)
        {
            var buffer = new byte[16 * 1024];
            var filled = 0;
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
                {
                    filled += read;
                    // A read can end inside a frame: tally the complete frames, keep the rest for the next read.
                    var end = buffer.AsSpan(0, filled).LastIndexOf("\n\n"u8);
                    if (end >= 0)
                    {
                        receiver.OnMessage(buffer.AsSpan(0, end + 2), Stopwatch.GetTimestamp());
                        buffer.AsSpan(end + 2, filled - end - 2).CopyTo(buffer);
                        filled -= end + 2;
                    }
                    else if (filled == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private static async Task RunWebSocketAsync(HubTarget target, Uri baseAddress, SocketsHttpHandler handler, string task,
        Receiver receiver, SemaphoreSlim connecting, Action connected, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        var uri = new UriBuilder(new Uri(baseAddress, target.WebSocketPath(task))) { Scheme = "ws" }.Uri;
        await connecting.WaitAsync(cancellationToken);
        try
        {
            // The same handler as the HTTP client: the same source addresses and no connection limit.
            await socket.ConnectAsync(uri, new HttpMessageInvoker(handler, disposeHandler: false), cancellationToken);
        }
        finally
        {
            connecting.Release();
        }
        connected();
        var buffer = new byte[16 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(filled), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                filled += result.Count;
                if (result.EndOfMessage)
                {
                    receiver.OnMessage(buffer.AsSpan(0, filled), Stopwatch.GetTimestamp());
                    filled = 0;
                }
                else if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
