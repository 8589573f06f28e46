using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace PushHub.Tests.Infrastructure;

/// <summary>One connection of any transport, reduced to what the shared drills check: the seqs it delivers.</summary>
public interface ISeqStream : IAsyncDisposable
{
    /// <summary>The next event's seq, or null when the server ended the connection. Control frames are skipped.</summary>
    Task<long?> NextSeqAsync();

    /// <summary>Whether the transport can follow another task on an open connection (SSE cannot).</summary>
    bool CanFollow { get; }

    /// <summary>Follows another task on the open connection; its effective start appears in <see cref="Starts"/> once
    /// the server has acknowledged it (at once for SignalR, in the stream for the raw WebSocket).</summary>
    Task FollowAsync(string taskId, long? after);

    /// <summary>The effective start (after) of each followed task, as the server acknowledged it.</summary>
    IReadOnlyDictionary<string, long> Starts { get; }
}

/// <summary>Opens a connection of one transport, following some tasks from a seq.</summary>
public delegate Task<ISeqStream> SeqStreamOpener(LiveHub hub, IReadOnlyList<string> taskIds, long after, CancellationToken cancellationToken);

/// <summary>The transports under the shared drills, by name (for theory data).</summary>
public static class SeqStreams
{
    public static readonly Dictionary<string, SeqStreamOpener> Openers = new()
    {
        ["sse"] = OpenSseAsync,
        ["ws"] = OpenWebSocketAsync,
        ["signalr-json"] = (hub, taskIds, after, token) => OpenSignalRAsync(hub, taskIds, after, messagePack: false, token),
        ["signalr-msgpack"] = (hub, taskIds, after, token) => OpenSignalRAsync(hub, taskIds, after, messagePack: true, token),
    };

    public static async Task<ISeqStream> OpenSignalRAsync(LiveHub hub, IReadOnlyList<string> taskIds, long after, bool messagePack, CancellationToken cancellationToken)
    {
        var stream = new SignalRSeqStream(await SignalRClient.ConnectAsync(hub.BaseAddress, messagePack, cancellationToken), cancellationToken);
        await stream.FollowAsync(taskIds, after);
        return stream;
    }

    public static async Task<ISeqStream> OpenSseAsync(LiveHub hub, IReadOnlyList<string> taskIds, long after, CancellationToken cancellationToken) =>
        new SseSeqStream(await SseClient.OpenAsync(hub.Client, "?" + string.Join('&', taskIds.Select(t => $"task={t}")), lastEventId: after, cancellationToken),
            taskIds.ToDictionary(t => t, _ => after));

    public static async Task<ISeqStream> OpenWebSocketAsync(LiveHub hub, IReadOnlyList<string> taskIds, long after, CancellationToken cancellationToken)
    {
        var client = await WsClient.ConnectAsync(hub.BaseAddress, string.Join('&', taskIds.Select(t => $"task={t}")) + $"&after={after}", cancellationToken);
        return new WebSocketSeqStream(client);
    }

    private sealed class SseSeqStream(SseClient client, Dictionary<string, long> starts) : ISeqStream
    {
        public bool CanFollow => false;

        public IReadOnlyDictionary<string, long> Starts => starts;

        public Task FollowAsync(string taskId, long? after) => throw new NotSupportedException("an SSE stream follows what its URL names");

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

    private sealed class SignalRSeqStream(SignalRClient client, CancellationToken cancellationToken) : ISeqStream
    {
        private readonly Dictionary<string, long> _starts = [];

        public bool CanFollow => true;

        public IReadOnlyDictionary<string, long> Starts => _starts;

        public async Task FollowAsync(string taskId, long? after) =>
            _starts[taskId] = await client.Connection.InvokeAsync<long>("Subscribe", taskId, after, cancellationToken);

        /// <summary>Several tasks from one seq in one step (<c>SubscribeMany</c>), as a resuming client does.</summary>
        public async Task FollowAsync(IReadOnlyList<string> taskIds, long after)
        {
            var from = await client.Connection.InvokeAsync<long>("SubscribeMany", taskIds.ToArray(), (long?)after, cancellationToken);
            foreach (var taskId in taskIds)
            {
                _starts[taskId] = from;
            }
        }

        public async Task<long?> NextSeqAsync() => await client.NextAsync() is { } call ? SignalRClient.SeqOf(call) : null;

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class WebSocketSeqStream(WsClient client) : ISeqStream
    {
        private readonly Dictionary<string, long> _starts = [];

        public bool CanFollow => true;

        public IReadOnlyDictionary<string, long> Starts => _starts;

        public Task FollowAsync(string taskId, long? after) =>
            client.SendAsync(after is { } seq ? $$"""{"op":"subscribe","task_id":"{{taskId}}","after":{{seq}}}""" : $$"""{"op":"subscribe","task_id":"{{taskId}}"}""");

        public async Task<long?> NextSeqAsync()
        {
            try
            {
                while (await client.ReceiveTextAsync() is { } text)
                {
                    var frame = JsonNode.Parse(text)!;
                    if (frame["seq"] is { } seq)
                    {
                        return seq.GetValue<long>();
                    }
                    var op = frame["op"]!.GetValue<string>();
                    Assert.True(op == "subscribed", $"unexpected control frame {text}");
                    _starts[frame["task_id"]!.GetValue<string>()] = frame["after"]!.GetValue<long>();
                }
                return null;
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
