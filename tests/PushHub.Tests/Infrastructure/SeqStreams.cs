using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace PushHub.Tests.Infrastructure;

/// <summary>One connection of any transport, reduced to what the shared drills check: the seqs it delivers.</summary>
public interface ISeqStream : IAsyncDisposable
{
    /// <summary>The next event's seq, or null when the server ended the connection.</summary>
    Task<long?> NextSeqAsync();
}

/// <summary>Opens a connection of one transport, following one task from a seq.</summary>
public delegate Task<ISeqStream> SeqStreamOpener(LiveHub hub, string taskId, long after, CancellationToken cancellationToken);

/// <summary>The transports under the shared drills, by name (for theory data).</summary>
public static class SeqStreams
{
    public static readonly Dictionary<string, SeqStreamOpener> Openers = new()
    {
        ["sse"] = OpenSseAsync,
        ["ws"] = OpenWebSocketAsync,
        ["signalr-json"] = (hub, taskId, after, token) => OpenSignalRAsync(hub, taskId, after, messagePack: false, token),
        ["signalr-msgpack"] = (hub, taskId, after, token) => OpenSignalRAsync(hub, taskId, after, messagePack: true, token),
    };

    public static async Task<ISeqStream> OpenSignalRAsync(LiveHub hub, string taskId, long after, bool messagePack, CancellationToken cancellationToken)
    {
        var client = await SignalRClient.ConnectAsync(hub.BaseAddress, messagePack, cancellationToken);
        await client.Connection.InvokeAsync("Subscribe", taskId, (long?)after, cancellationToken);
        return new SignalRSeqStream(client);
    }

    public static async Task<ISeqStream> OpenSseAsync(LiveHub hub, string taskId, long after, CancellationToken cancellationToken) =>
        new SseSeqStream(await SseClient.OpenAsync(hub.Client, $"?task={taskId}", lastEventId: after, cancellationToken));

    public static async Task<ISeqStream> OpenWebSocketAsync(LiveHub hub, string taskId, long after, CancellationToken cancellationToken)
    {
        var client = await WsClient.ConnectAsync(hub.BaseAddress, $"?task={taskId}&after={after}", cancellationToken);
        Assert.Equal("subscribed", (await client.ReceiveJsonAsync())["op"]!.GetValue<string>());
        return new WebSocketSeqStream(client);
    }

    private sealed class SseSeqStream(SseClient client) : ISeqStream
    {
        public async Task<long?> NextSeqAsync()
        {
            try
            {
                return await client.NextAsync() is { } item ? long.Parse(item.EventId!, CultureInfo.InvariantCulture) : null;
            }
            catch (Exception exception) when (exception is IOException or HttpRequestException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class SignalRSeqStream(SignalRClient client) : ISeqStream
    {
        public async Task<long?> NextSeqAsync() => await client.NextAsync() is { } call ? SignalRClient.SeqOf(call) : null;

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class WebSocketSeqStream(WsClient client) : ISeqStream
    {
        public async Task<long?> NextSeqAsync()
        {
            try
            {
                return await client.ReceiveTextAsync() is { } text ? JsonNode.Parse(text)!["seq"]!.GetValue<long>() : null;
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
