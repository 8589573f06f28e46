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
public sealed partial class SseManager(EventHub hub, ConnectionStats stats, IOptions<SseOptions> options, TimeProvider time,
    IHostApplicationLifetime lifetime, ILogger<SseManager> logger)
{
    private static readonly byte[] s_keepAlive = ": keepalive\n\n"u8.ToArray();

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
        // A reader that fell behind may be stuck in a write that never completes: abort the connection itself.
        using var onOverflow = subscription.Overflowed.Register(static state => ((HttpContext)state!).Abort(), context);
        // A stopping hub ends the stream cleanly; the client reconnects with Last-Event-ID and misses nothing.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        LogOpened(logger, context.TraceIdentifier, filter, after);

        var body = response.BodyWriter;
        body.Write(_retryHint);
        Task<bool>? pending = null;
        try
        {
            if ((await body.FlushAsync(stop.Token)).IsCompleted)
            {
                return;
            }
            await using var items = subscription.ReadAllAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            try
            {
                Task? keepAlive = null;
                while (true)
                {
                    // Write every item that is ready without waiting, then flush the batch once.
                    var next = items.MoveNextAsync();
                    while (next.IsCompleted)
                    {
                        if (!next.GetAwaiter().GetResult())
                        {
                            return;
                        }
                        Write(body, items.Current);
                        next = items.MoveNextAsync();
                    }
                    if ((await body.FlushAsync(stop.Token)).IsCompleted)
                    {
                        return;
                    }
                    pending = next.AsTask();
                    while (true)
                    {
                        keepAlive ??= Task.Delay(_keepAlive, time, stop.Token);
                        if (await Task.WhenAny(pending, keepAlive) == pending)
                        {
                            break;
                        }
                        keepAlive = null;
                        body.Write(s_keepAlive);
                        if ((await body.FlushAsync(stop.Token)).IsCompleted)
                        {
                            return;
                        }
                    }
                    var more = await pending;
                    pending = null;
                    if (!more)
                    {
                        return;
                    }
                    Write(body, items.Current);
                }
            }
            finally
            {
                // The enumerator cannot be disposed while a read is in flight: end that read first.
                await stop.CancelAsync();
                if (pending is not null)
                {
                    await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }
        catch (SlowSubscriberException exception)
        {
            LogSlow(logger, context.TraceIdentifier, exception.LastSeq);
            context.Abort();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left, was dropped for being slow, or the hub is stopping: nothing more to send.
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

    private static void Write(PipeWriter body, SubscriptionItem item)
    {
        if (item.Event is { } stored)
        {
            body.Write(stored.SseFrame.Span);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSE stream {ConnectionId} fell behind the live feed at seq {LastSeq} and was disconnected")]
    private static partial void LogSlow(ILogger logger, string connectionId, long lastSeq);
}
