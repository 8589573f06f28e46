using System.Buffers;
using System.Net.WebSockets;
using PushHub.Http;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>
/// One raw WebSocket client: a receive loop that turns <c>op</c> frames into commands of the connection's one
/// <see cref="Subscription"/>, and one send loop writing that subscription's stream (events as their cached JSON,
/// control frames in stream order) to the socket. <paramref name="mayRead"/> is the caller's read rule: given a task
/// id (or null for all tasks) it says whether the connection may follow it; a refused subscribe gets an error frame
/// and the connection stays open.
/// </summary>
internal sealed partial class WebSocketConnection(WebSocket socket, EventHub hub, StallWatchdog watchdog, PushWebSocketOptions options, ILogger logger,
    string id, Func<string?, bool> mayRead)
{
    private readonly CancellationTokenSource _closing = new();
    private readonly HashSet<string> _followed = new(StringComparer.Ordinal);
    private Subscription _subscription = null!;

    /// <summary>Serves the connection until the client closes it, it breaks, or it is closed as stalled.</summary>
    /// <remarks>The query's tasks (or all tasks, when it names none but gives <c>after</c>) are followed from the
    /// start; its types apply to everything the connection follows.</remarks>
    public async Task RunAsync(SubscribeRequest initial, CancellationToken aborted)
    {
        using var link = aborted.Register(static state => ((CancellationTokenSource)state!).Cancel(), _closing);
        using var subscription = _subscription = hub.Open(initial.Filter.Types, initial.After);
        if (initial.Filter.Tasks is { } tasks)
        {
            foreach (var taskId in tasks)
            {
                Subscribe(taskId, initial.After);
            }
        }
        else if (initial.After is not null)
        {
            Subscribe(null, initial.After);
        }
        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            // The client went away, or the connection was closed as stalled.
        }
        finally
        {
            await _closing.CancelAsync();
            await sending;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(options.MaxMessageBytes + 1);
        try
        {
            while (true)
            {
                var length = 0;
                var tooLarge = false;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(Math.Min(length, options.MaxMessageBytes)), _closing.Token);
                    length = Math.Min(length + result.Count, options.MaxMessageBytes + 1);
                    tooLarge |= length > options.MaxMessageBytes;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _closing.CancelAsync();
                    return;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Send(ControlFrames.Error("send text frames holding JSON; binary frames are not understood"));
                }
                else if (tooLarge)
                {
                    Send(ControlFrames.Error($"a frame may hold at most {options.MaxMessageBytes} bytes"));
                }
                else
                {
                    Handle(buffer.AsSpan(0, length).ToArray());
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Handle(byte[] frame)
    {
        if (ClientOp.Parse(frame, out var error) is not { } op)
        {
            LogBadFrame(logger, id, error);
            Send(ControlFrames.Error(error));
            return;
        }
        switch (op.Op)
        {
            case "ping":
                Send(ControlFrames.Pong);
                break;
            case "subscribe":
                Subscribe(op.TaskId == "*" ? null : op.TaskId, op.After);
                break;
            case "unsubscribe":
                if (_followed.Remove(op.TaskId!))
                {
                    _subscription.Unfollow(op.TaskId == "*" ? null : op.TaskId);
                }
                else
                {
                    Send(ControlFrames.Error($"not subscribed to task '{op.TaskId}'"));
                }
                break;
        }
    }

    /// <summary>Follows <paramref name="key"/> (a task id, or null for all tasks), replacing an earlier subscription to it.</summary>
    private void Subscribe(string? key, long? after)
    {
        var name = key ?? "*";
        if (!mayRead(key))
        {
            Send(ControlFrames.Error(key is null
                ? "following all tasks needs read access to every task (*)"
                : $"not allowed to read task '{key}'"));
            return;
        }
        if (!_followed.Contains(name) && _followed.Count >= options.MaxSubscriptions)
        {
            Send(ControlFrames.Error($"a connection may follow at most {options.MaxSubscriptions} tasks"));
            return;
        }
        _followed.Add(name);
        // The acknowledgement (with the effective after) comes in the stream, before the task's first event.
        _ = _subscription.Follow(key, after);
    }

    /// <summary>A control frame, in stream order after everything already queued.</summary>
    private void Send(ReadOnlyMemory<byte> frame) => _subscription.Post(frame);

    private static ReadOnlyMemory<byte> Frame(SubscriptionItem item) => item.Kind switch
    {
        SubscriptionItemKind.Event => item.Event!.Json,
        SubscriptionItemKind.Reset => ControlFrames.Reset(item.TaskId, item.FirstSeq),
        SubscriptionItemKind.Followed => ControlFrames.Subscribed(item.TaskId, item.Seq),
        SubscriptionItemKind.Unfollowed => ControlFrames.Unsubscribed(item.TaskId),
        _ => (ReadOnlyMemory<byte>)item.Tag!,
    };

    private async Task SendLoopAsync()
    {
        using var guard = watchdog.Watch(id, socket.Abort);
        try
        {
            await foreach (var item in _subscription.ReadAllAsync(_closing.Token))
            {
                guard.Begin();
                await socket.SendAsync(Frame(item), WebSocketMessageType.Text, endOfMessage: true, _closing.Token);
                guard.End();
            }
        }
        catch (OperationCanceledException)
        {
            // Closing: the close handshake follows.
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException)
        {
            socket.Abort();
        }
        finally
        {
            if (!_closing.IsCancellationRequested)
            {
                await _closing.CancelAsync();
            }
        }
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "WebSocket {ConnectionId} sent a frame that was refused: {Error}")]
    private static partial void LogBadFrame(ILogger logger, string connectionId, string error);
}
