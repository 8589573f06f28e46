using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PushHub.Hub;

namespace PushHub.Sse;

/// <summary>
/// Streams a subscription as Server-Sent Events: each event's cached frame (<see cref="HubEvent.SseFrame"/>),
/// written as is, flushed once per batch of ready events, with a <c>retry:</c> hint first and a
/// <c>: keepalive</c> comment every <see cref="SseOptions.KeepAliveSeconds"/>.
/// </summary>
/// <remarks>
/// Not <c>TypedResults.ServerSentEvents</c>: <c>SseFormatter</c> formats each item per subscriber and has no
/// comments, while here the frame is built once per event (at commit) and shared by every stream; the tests
/// check the output with <c>System.Net.ServerSentEvents.SseParser</c> instead.
/// </remarks>
public sealed partial class SseManager(EventHub hub, ConnectionStats stats, StallWatchdog watchdog, SseStreams streams, IOptions<SseOptions> options,
    ILogger<SseManager> logger)
{
    private static readonly byte[] s_keepAlive = ": keepalive\n\n"u8.ToArray();

    private readonly byte[] _retryHint = System.Text.Encoding.ASCII.GetBytes(
        $"retry: {options.Value.RetryMilliseconds.ToString(CultureInfo.InvariantCulture)}\n\n");

    /// <summary>Streams events matching <paramref name="filter"/> after <paramref name="after"/> (null: live only) until the client leaves.</summary>
    public Task StreamAsync(HttpContext context, EventFilter filter, long? after)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return RunAsync(response.BodyWriter, context.TraceIdentifier, context.Abort, filter, after, context.RequestAborted);
    }

    /// <summary>
    /// The write loop, after the response head: the retry hint, then the subscription's frames, until the client
    /// leaves (<paramref name="aborted"/>), the hub stops or <paramref name="abort"/> is called by the stall watchdog.
    /// Shared by the endpoint and <see cref="PushHub.Http.HubConnectionHandler"/>, which writes straight to the connection.
    /// </summary>
    internal async Task RunAsync(PipeWriter body, string connectionId, Action abort, EventFilter filter, long? after, CancellationToken aborted)
    {
        using var lease = stats.Open(Transport.Sse);
        using var subscription = hub.Subscribe(filter, after);
        // A client whose socket accepts nothing may keep a flush stuck for ever: the watchdog aborts the connection.
        using var guard = watchdog.Watch(connectionId, abort);
        // The keep-alive and a stopping hub come as messages in the subscription's own stream (and a stop also
        // cancels a pending flush): the write loop waits on one thing only.
        using var stream = streams.Open(subscription, body);
        LogOpened(logger, connectionId, filter, after);

        body.Write(_retryHint);
        try
        {
            if (await FlushAsync(body, guard, aborted))
            {
                return;
            }
            await using var items = subscription.ReadAllAsync(aborted).GetAsyncEnumerator(aborted);
            var next = items.MoveNextAsync();
            try
            {
                while (true)
                {
                    // Write every item that is ready without waiting, then flush the batch once.
                    while (next.IsCompleted)
                    {
                        if (!next.GetAwaiter().GetResult() || !Write(body, stream, items.Current))
                        {
                            return;
                        }
                        next = items.MoveNextAsync();
                    }
                    if (await FlushAsync(body, guard, aborted))
                    {
                        return;
                    }
                    var more = await next;
                    next = default;
                    if (!more || !Write(body, stream, items.Current))
                    {
                        return;
                    }
                    next = items.MoveNextAsync();
                }
            }
            finally
            {
                // The enumerator cannot be disposed while a read is in flight: end that read first (a departed
                // client's abort cancels it; otherwise the stop marker completes it).
                if (!next.IsCompleted)
                {
                    subscription.Post(SseStreams.StopMessage);
                    try
                    {
                        await next;
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client left or was closed as stalled: nothing more to send.
        }
        catch (IOException)
        {
            // The connection broke mid-write.
        }
        finally
        {
            LogClosed(logger, connectionId, subscription.Cursor);
        }
    }

    /// <summary>Flushes under the watchdog; answers true when the client has gone or the hub is stopping.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter body, StallWatchdog.Guard guard, CancellationToken cancellationToken)
    {
        guard.Begin();
        var result = await body.FlushAsync(cancellationToken);
        guard.End();
        return result.IsCompleted || result.IsCanceled;
    }

    /// <summary>
    /// Writes one item; answers false for the stop marker, which ends the stream. An event or a reset marks the
    /// stream written for the keep-alive tick; the comment itself does not, so an idle stream gets one every tick.
    /// </summary>
    private static bool Write(PipeWriter body, SseStreams.SseStream stream, SubscriptionItem item)
    {
        if (item.Event is { } stored)
        {
            body.Write(stored.SseFrame.Span);
            stream.Written = true;
            return true;
        }
        if (item.Kind != SubscriptionItemKind.Reset)
        {
            if (item.Tag == SseStreams.StopMessage)
            {
                return false;
            }
            body.Write(s_keepAlive); // the only other message SSE posts
            return true;
        }
        stream.Written = true;
        body.Write("event: reset\ndata: {\"first_seq\":"u8);
        var span = body.GetSpan(20);
        item.FirstSeq.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
        body.Advance(written);
        body.Write("}\n\n"u8);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} opened: {Filter} after {After}")]
    private static partial void LogOpened(ILogger logger, string connectionId, EventFilter filter, long? after);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} closed at seq {Cursor}")]
    private static partial void LogClosed(ILogger logger, string connectionId, long cursor);
}
