using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
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
public sealed partial class SseManager(EventHub hub, ConnectionStats stats, StallWatchdog watchdog, IOptions<SseOptions> options, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<SseManager> logger)
{
    private static readonly byte[] s_keepAlive = ": keepalive\n\n"u8.ToArray();
    private static readonly object s_keepAliveMessage = new();

    private readonly TimeSpan _keepAlive = TimeSpan.FromSeconds(options.Value.KeepAliveSeconds);
    private readonly byte[] _retryHint = System.Text.Encoding.ASCII.GetBytes(
        $"retry: {options.Value.RetryMilliseconds.ToString(CultureInfo.InvariantCulture)}\n\n");

    /// <summary>Streams events matching <paramref name="filter"/> after <paramref name="after"/> (null: live only) until the client leaves.</summary>
    public async Task StreamAsync(HttpContext context, EventFilter filter, long? after)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var lease = stats.Open(Transport.Sse);
        using var subscription = hub.Subscribe(filter, after);
        // A client whose socket accepts nothing may keep a flush stuck for ever: the watchdog aborts the connection.
        using var guard = watchdog.Watch(context.TraceIdentifier, context.Abort);
        // A stopping hub ends the stream cleanly; the client reconnects with Last-Event-ID and misses nothing.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        // The keep-alive is a message in the subscription's own stream, posted by a timer when nothing was written
        // since its last tick: the write loop waits on one thing only.
        var written = new StrongBox<bool>(true);
        using var keepAlive = time.CreateTimer(static state =>
        {
            var (box, owner) = ((StrongBox<bool>, Subscription))state!;
            if (!box.Value)
            {
                owner.Post(s_keepAliveMessage);
            }
            box.Value = false;
        }, (written, subscription), _keepAlive, _keepAlive);
        LogOpened(logger, context.TraceIdentifier, filter, after);

        var body = response.BodyWriter;
        body.Write(_retryHint);
        try
        {
            if (await FlushAsync(body, guard, stop.Token))
            {
                return;
            }
            await using var items = subscription.ReadAllAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            var next = items.MoveNextAsync();
            try
            {
                while (true)
                {
                    // Write every item that is ready without waiting, then flush the batch once.
                    while (next.IsCompleted)
                    {
                        if (!next.GetAwaiter().GetResult())
                        {
                            return;
                        }
                        Write(body, items.Current);
                        next = items.MoveNextAsync();
                    }
                    written.Value = true;
                    if (await FlushAsync(body, guard, stop.Token))
                    {
                        return;
                    }
                    var more = await next;
                    next = default;
                    if (!more)
                    {
                        return;
                    }
                    Write(body, items.Current);
                    next = items.MoveNextAsync();
                }
            }
            finally
            {
                // The enumerator cannot be disposed while a read is in flight: end that read first.
                if (!next.IsCompleted)
                {
                    await stop.CancelAsync();
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
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left, was closed as stalled, or the hub is stopping: nothing more to send.
        }
        catch (IOException)
        {
            // The connection broke mid-write.
        }
        finally
        {
            LogClosed(logger, context.TraceIdentifier, subscription.Cursor);
        }
    }

    /// <summary>Flushes under the watchdog; answers true when the client has gone.</summary>
    private static async ValueTask<bool> FlushAsync(PipeWriter body, StallWatchdog.Guard guard, CancellationToken cancellationToken)
    {
        guard.Begin();
        var result = await body.FlushAsync(cancellationToken);
        guard.End();
        return result.IsCompleted;
    }

    private static void Write(PipeWriter body, SubscriptionItem item)
    {
        if (item.Event is { } stored)
        {
            body.Write(stored.SseFrame.Span);
            return;
        }
        if (item.Kind != SubscriptionItemKind.Reset)
        {
            body.Write(s_keepAlive); // the only message SSE posts
            return;
        }
        body.Write("event: reset\ndata: {\"first_seq\":"u8);
        var span = body.GetSpan(20);
        item.FirstSeq.TryFormat(span, out var written, provider: CultureInfo.InvariantCulture);
        body.Advance(written);
        body.Write("}\n\n"u8);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} opened: {Filter} after {After}")]
    private static partial void LogOpened(ILogger logger, string connectionId, EventFilter filter, long? after);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SSE stream {ConnectionId} closed at seq {Cursor}")]
    private static partial void LogClosed(ILogger logger, string connectionId, long cursor);
}
