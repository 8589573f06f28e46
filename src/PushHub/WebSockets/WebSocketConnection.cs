using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using PushHub.Http;
using PushHub.Hub;

namespace PushHub.WebSockets;

/// <summary>
/// One raw WebSocket client: a receive loop answering <c>op</c> frames, one pump per followed task feeding a bounded
/// send queue, and one send loop writing that queue to the socket. Event frames are the cached event JSON.
/// <paramref name="mayRead"/> is the caller's read rule: given a task id (or null for all tasks) it says whether
/// the connection may follow it; a refused subscribe gets an error frame and the connection stays open.
/// </summary>
internal sealed partial class WebSocketConnection(WebSocket socket, EventHub hub, PushWebSocketOptions options, ILogger logger, string id,
    Func<string?, bool> mayRead)
{
    private readonly Channel<ReadOnlyMemory<byte>> _outbox = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(options.SendQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Dictionary<string, CancellationTokenSource> _pumps = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private IReadOnlySet<string>? _types;

    /// <summary>Serves the connection until the client closes it, it breaks, or it falls behind.</summary>
    /// <remarks>The query's tasks (or all tasks, when it names none but gives <c>after</c>) are followed from the
    /// start; its types apply to every subscription of the connection.</remarks>
    public async Task RunAsync(SubscribeRequest initial, CancellationToken aborted)
    {
        using var link = aborted.Register(static state => ((CancellationTokenSource)state!).Cancel(), _closing);
        var sending = SendLoopAsync();
        try
        {
            _types = initial.Filter.Types;
            if (initial.Filter.Tasks is { } tasks)
            {
                foreach (var taskId in tasks)
                {
                    await SubscribeAsync(taskId, initial.After);
                }
            }
            else if (initial.After is not null)
            {
                await SubscribeAsync(null, initial.After);
            }
            await ReceiveLoopAsync();
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ChannelClosedException)
        {
            // The client went away, or the connection was dropped for being slow.
        }
        finally
        {
            await _closing.CancelAsync();
            foreach (var pump in _pumps.Values)
            {
                pump.Cancel();
            }
            _outbox.Writer.TryComplete();
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
                    await SendAsync(ControlFrames.Error("send text frames holding JSON; binary frames are not understood"));
                }
                else if (tooLarge)
                {
                    await SendAsync(ControlFrames.Error($"a frame may hold at most {options.MaxMessageBytes} bytes"));
                }
                else
                {
                    await HandleAsync(buffer.AsSpan(0, length).ToArray());
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleAsync(byte[] frame)
    {
        if (ClientOp.Parse(frame, out var error) is not { } op)
        {
            LogBadFrame(logger, id, error);
            await SendAsync(ControlFrames.Error(error));
            return;
        }
        switch (op.Op)
        {
            case "ping":
                await SendAsync(ControlFrames.Pong);
                break;
            case "subscribe":
                await SubscribeAsync(op.TaskId!, op.After);
                break;
            case "unsubscribe":
                if (_pumps.Remove(op.TaskId!, out var pump))
                {
                    await pump.CancelAsync();
                    await SendAsync(ControlFrames.Unsubscribed(op.TaskId));
                }
                else
                {
                    await SendAsync(ControlFrames.Error($"not subscribed to task '{op.TaskId}'"));
                }
                break;
        }
    }

    /// <summary>Follows <paramref name="key"/> (a task id, or null for all tasks), replacing an earlier subscription to it.</summary>
    private async Task SubscribeAsync(string? key, long? after)
    {
        var name = key ?? "*";
        if (!mayRead(key))
        {
            await SendAsync(ControlFrames.Error(key is null
                ? "following all tasks needs read access to every task (*)"
                : $"not allowed to read task '{key}'"));
            return;
        }
        if (_pumps.Remove(name, out var previous))
        {
            await previous.CancelAsync();
        }
        else if (_pumps.Count >= options.MaxSubscriptions)
        {
            await SendAsync(ControlFrames.Error($"a connection may follow at most {options.MaxSubscriptions} tasks"));
            return;
        }
        // The acknowledgement is queued before the pump starts, so it precedes the subscription's events.
        await SendAsync(ControlFrames.Subscribed(key, after));
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_closing.Token);
        _pumps[name] = stop;
        _ = PumpAsync(hub.Subscribe(new EventFilter(key is null ? null : [key], _types), after), key, stop.Token);
    }

    private async Task PumpAsync(Subscription subscription, string? key, CancellationToken stop)
    {
        // A send stuck on a client that reads nothing must not keep the connection alive once it overflowed.
        using var onOverflow = subscription.Overflowed.Register(static state => ((WebSocket)state!).Abort(), socket);
        try
        {
            await foreach (var item in subscription.ReadAllAsync(stop))
            {
                await _outbox.Writer.WriteAsync(item.Event is { } stored ? stored.Json : ControlFrames.Reset(key, item.FirstSeq), stop);
            }
        }
        catch (SlowSubscriberException exception)
        {
            LogSlow(logger, id, exception.LastSeq);
            socket.Abort();
            await _closing.CancelAsync();
        }
        catch (Exception exception) when (exception is OperationCanceledException or ChannelClosedException or ObjectDisposedException)
        {
        }
        finally
        {
            subscription.Dispose();
        }
    }

    private ValueTask SendAsync(ReadOnlyMemory<byte> frame) => _outbox.Writer.WriteAsync(frame, _closing.Token);

    private async Task SendLoopAsync()
    {
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_closing.Token))
            {
                while (reader.TryRead(out var frame))
                {
                    await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, _closing.Token);
                }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "WebSocket {ConnectionId} fell behind the live feed at seq {LastSeq} and was disconnected")]
    private static partial void LogSlow(ILogger logger, string connectionId, long lastSeq);
}
