using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Security.Claims;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Net.Http.Headers;
using PushHub.Events;
using PushHub.Hub;
using PushHub.Observability;
using PushHub.Security;

namespace PushHub.Http;

// The connection handler's polls: GET /events, one after another on a kept-alive connection.
public sealed partial class HubConnectionHandler
{
    private static ReadOnlySpan<byte> PollHeadStart => "HTTP/1.1 200 OK\r\nContent-Length: "u8;
    private static ReadOnlySpan<byte> CloseHeader => "\r\nConnection: close"u8;
    private static ReadOnlySpan<byte> JsonType => "\r\nContent-Type: application/json; charset=utf-8"u8;
    private static ReadOnlySpan<byte> EventsStart => "{\"events\":["u8;
    private static ReadOnlySpan<byte> LastSeqName => "],\"last_seq\":"u8;
    private static ReadOnlySpan<byte> TruncatedName => ",\"truncated\":"u8;

    private enum Answered { KeepAlive, Closed, Failed }

    private sealed record PollAsked(PollRequest Poll, string RequestId) : Request(RequestId);

    private ValueTask<Request?> AcceptPollAsync(ConnectionContext connection, RequestHead head, int served)
    {
        var query = head.ParseQuery();
        return AuthenticatesByKey(head, query, out var user)
            ? new ValueTask<Request?>(user is null ? null : AcceptPoll(connection, head, served, user, query))
            : AcceptPollWithContextAsync(connection, head, served, query);
    }

    // A subscribe token: through ASP.NET Core's authentication, as the pipeline.
    private async ValueTask<Request?> AcceptPollWithContextAsync(ConnectionContext connection, RequestHead head, int served, IQueryCollection query) =>
        await AuthorizeAsync(connection, head) is ({ } user, _) ? AcceptPoll(connection, head, served, user, query) : null;

    private PollAsked? AcceptPoll(ConnectionContext connection, RequestHead head, int served, ClaimsPrincipal user, IQueryCollection query)
    {
        if (PollRequest.Read(query, out _) is not { } poll || access.AuthorizeRead(user, poll.Filter.Tasks, "A poll without task=") is not null)
        {
            return null;
        }
        // Not Kestrel's numbering: a request handed to Kestrel after these is its first, :00000001.
        return new PollAsked(poll, RequestId(head) ?? string.Create(CultureInfo.InvariantCulture, $"{connection.ConnectionId}:P{served + 1:X7}"));
    }

    // True when the API key scheme decides the request (open mode, an API key, or no credentials at all): it is then
    // authenticated and authorized here as that scheme and HubPolicyEvaluator decide it, without an HttpContext and a
    // service scope per poll (issue #15). A caller that is not known or not a subscriber gets a null user, and the
    // pipeline answers it (401 or 403). False for a subscribe token, which takes ASP.NET Core's whole way.
    private bool AuthenticatesByKey(RequestHead head, IQueryCollection query, out HubPrincipal? user)
    {
        user = null;
        var authorization = head.Values(HeaderNames.Authorization);
        var policy = policies.GetPolicyAsync(HubPolicies.Subscriber);
        if (SecurityExtensions.SelectScheme(query, authorization) != ApiKeyAuthenticationHandler.SchemeName
            || !policy.IsCompletedSuccessfully || policy.Result is not { AuthenticationSchemes.Count: 0 } subscriber)
        {
            return false;
        }
        var principal = mode.IsOpen
            ? keys.Anonymous
            : ApiKeyAuthenticationHandler.ReadPresentedKey(authorization, head.Values(ApiKeyAuthenticationHandler.HeaderName), out _) is { } presented
                ? keys.Find(presented)
                : null;
        user = principal is not null && HubPolicyEvaluator.Meets(principal, subscriber) ? principal : null;
        return true;
    }

    // Answers a poll that has ended: its result, a failure the pipeline answers instead, or a client that left.
    private async ValueTask<Answered> AnswerPollAsync(ConnectionContext connection, PollAsked asked, PollResult? result, Exception? failure,
        long started, bool close, StallWatchdog.Guard stalls)
    {
        var output = connection.Transport.Output;
        if (failure is not null && !connection.ConnectionClosed.IsCancellationRequested)
        {
            requests.Leave(); // the pipeline counts it when it answers
            LogHandedOver(logger, failure, asked.RequestId);
            return Answered.Failed;
        }
        if (failure is not null)
        {
            // The client left: there is no one to answer (a cancelled wait, or a failure on the way out).
            if (failure is not OperationCanceledException)
            {
                LogFailedAfterLeaving(logger, failure, asked.RequestId);
            }
            EndRequest(RequestHead.PollPath, StatusCodes.Status499ClientClosedRequest, started, asked.RequestId);
            return Answered.Closed;
        }
        if (connection.ConnectionClosed.IsCancellationRequested)
        {
            EndRequest(RequestHead.PollPath, StatusCodes.Status499ClientClosedRequest, started, asked.RequestId);
            return Answered.Closed;
        }
        var closing = close || lifetime.ApplicationStopping.IsCancellationRequested
            || connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested.IsCancellationRequested == true;
        WritePollAnswer(output, result!, asked.RequestId, closing);
        stalls.Begin();
        var sent = await FlushAsync(connection);
        stalls.End();
        EndRequest(RequestHead.PollPath, StatusCodes.Status200OK, started, asked.RequestId);
        return sent && !closing ? Answered.KeepAlive : Answered.Closed;
    }

    private async Task<bool> FlushAsync(ConnectionContext connection)
    {
        try
        {
            var flushed = await connection.Transport.Output.FlushAsync(connection.ConnectionClosed);
            return !flushed.IsCanceled && !flushed.IsCompleted;
        }
        catch (Exception e) when (IsBroken(e) || e is OperationCanceledException)
        {
            return false;
        }
    }

    // A poll's line carries its RequestId itself: no log context (an AsyncLocal) is pushed for a poll's life, which
    // every parked poll would carry; only when request lines are logged at all is the property made.
    private void EndRequest(string path, int status, long started, string requestId)
    {
        var elapsed = Stopwatch.GetElapsedTime(started);
        requests.End(EventEndpoints.PollName, status, elapsed);
        if (_requestLog is { } log && log.IsEnabled(Serilog.Events.LogEventLevel.Information))
        {
            log.ForContext("RequestId", requestId)
                .Information(LogFormat.RequestTemplate, HttpMethods.Get, path, status, elapsed.TotalMilliseconds);
        }
    }

    // The endpoint's body byte for byte ({"events":[…],"last_seq":N,"truncated":B}), its length known before it is
    // written: each event's stored JSON as it is, no serializer and no buffer between.
    private void WritePollAnswer(PipeWriter output, PollResult result, string requestId, bool close)
    {
        var events = result.Events;
        Span<byte> lastSeq = stackalloc byte[20];
        result.LastSeq.TryFormat(lastSeq, out var lastSeqLength, default, CultureInfo.InvariantCulture);
        lastSeq = lastSeq[..lastSeqLength];
        long length = EventsStart.Length + LastSeqName.Length + lastSeq.Length + TruncatedName.Length
            + (result.Truncated ? 4 : 5) + 1 + Math.Max(0, events.Count - 1);
        for (var i = 0; i < events.Count; i++)
        {
            length += events[i].Json.Length;
        }
        output.Write(PollHeadStart);
        WriteNumber(output, length);
        if (close)
        {
            output.Write(CloseHeader);
        }
        output.Write(JsonType);
        WriteHeadEnd(output, requestId);
        output.Write(EventsStart);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }
            output.Write(events[i].Json.Span);
        }
        output.Write(LastSeqName);
        output.Write(lastSeq);
        output.Write(TruncatedName);
        output.Write(result.Truncated ? "true}"u8 : "false}"u8);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Poll {RequestId} failed after its client left")]
    private static partial void LogFailedAfterLeaving(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Poll {RequestId} failed on the hub's connection handler; the pipeline answers it")]
    private static partial void LogHandedOver(ILogger logger, Exception exception, string requestId);
}
