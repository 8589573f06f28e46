using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using PushHub.Hub;
using PushHub.Observability;
using PushHub.Sse;
using Serilog.Context;

namespace PushHub.Http;

// The connection handler's streams: GET /events/sse, a connection's first and only request.
public sealed partial class HubConnectionHandler
{
    private static ReadOnlySpan<byte> StreamHead =>
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no"u8;

    private sealed record StreamRequest(EventFilter Filter, long? After, string RequestId) : Request(RequestId);

    private async Task<Request?> AcceptStreamAsync(ConnectionContext connection, RequestHead head)
    {
        if (await AuthorizeAsync(connection, head) is not ({ } user, { } request)
            || SubscribeRequest.Read(request, out _) is not { } subscribe
            || access.AuthorizeRead(user, subscribe.Filter.Tasks) is not null)
        {
            return null;
        }
        // What Kestrel names the connection's first request (a stream is only ever that).
        return new StreamRequest(subscribe.Filter, subscribe.After, RequestId(head) ?? connection.ConnectionId + ":00000001");
    }

    private async Task StreamAsync(ConnectionContext connection, StreamRequest accepted)
    {
        var started = Stopwatch.GetTimestamp();
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        WriteStreamHead(output, accepted.RequestId);

        // Kestrel would notice a departed client by reading the connection; so does this, which also discards
        // anything the client sends after its request.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var watching = WatchInputAsync(input, gone);
        try
        {
            using (LogContext.PushProperty("RequestId", accepted.RequestId))
            {
                requests.Begin(); // ended in the finally below
                try
                {
                    await sse.RunAsync(output, accepted.RequestId, connection.Abort, accepted.Filter, accepted.After, gone.Token);
                }
                catch (OperationCanceledException)
                {
                    // The client left or the connection was closed: the stream is over.
                }
                catch (Exception e)
                {
                    LogFailed(logger, e, accepted.RequestId);
                }
                finally
                {
                    EndRequest(RequestHead.SsePath, StatusCodes.Status200OK, started);
                }
            }
        }
        finally
        {
            input.CancelPendingRead();
            await watching;
            // What the write loop left unflushed (a last frame before the hub's stop) goes out before the close.
            try
            {
                await output.CompleteAsync();
            }
            catch (Exception e) when (IsBroken(e))
            {
                // The connection broke on the way: nothing more to send anyway.
            }
        }
    }

    // A request's end: its request-log line, and its place in ASP.NET Core's request metrics.
    private void EndRequest(string path, int status, long started)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        requests.End(SseEndpoints.StreamName, status, elapsed);
        _requestLog?.Information(LogFormat.RequestTemplate, HttpMethods.Get, path, status, elapsed.TotalMilliseconds);
    }

    private void WriteStreamHead(PipeWriter output, string requestId)
    {
        output.Write(StreamHead);
        WriteHeadEnd(output, requestId);
    }

    // Never throws: the stream's teardown awaits it.
    private static async Task WatchInputAsync(PipeReader input, CancellationTokenSource gone)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                if (result.IsCanceled)
                {
                    return; // the stream ended first: nothing to tell it
                }
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception)
        {
            // Any failure to read is the client gone (reset, aborted, the transport disposed).
        }
        await gone.CancelAsync();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{RequestId} failed on the hub's connection handler")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId);
}
