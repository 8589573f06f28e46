using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using PushHub.Hub;
using PushHub.Observability;
using PushHub.Security;
using PushHub.Sse;

namespace PushHub.Http;

/// <summary>
/// Serves <c>GET /events/sse</c> streams and <c>GET /events</c> polls on plaintext HTTP/1.1 straight from the
/// connection, as Kestrel connection middleware, so that an open stream or a parked long-poll holds the socket, the
/// subscription or feed waiter and its own loop, and none of the request pipeline's state (issue #15: about 18 KB per
/// idle stream through the endpoint, 10 KB here; 3–4 KB of request state per re-parked poll that each collection
/// copies).
/// </summary>
/// <remarks>
/// <para>A request head is read without being consumed. Unless it is one that <see cref="RequestHead"/> accepts and
/// that authenticates, is authorized as a subscriber and asks for something valid the caller may read, the connection
/// goes on to Kestrel with its bytes untouched, and stays Kestrel's: every refusal (400, 401, 403), CORS, HTTP/2, TLS
/// and every other path are the pipeline's own, as with the switches off.</para>
/// <para>A stream is a connection's first request only. It is answered <c>200</c> with the endpoint's headers and
/// <c>Connection: close</c> (the body ends when the connection does, so there is no chunked framing), then runs
/// <see cref="SseManager"/>'s write loop on the connection's output.</para>
/// <para>Polls are answered one after another on a kept-alive connection: <c>200</c> with a <c>Content-Length</c>
/// body, the same JSON as the endpoint's, then the next head is read; between requests the connection waits at most
/// Kestrel's <c>KeepAliveTimeout</c>, and closes when the server stops, as Kestrel's own idle connections do.</para>
/// <para>Each request writes the same request-log line as the pipeline, with a <c>RequestId</c>, counts in
/// <c>/stats</c> and the <c>pushhub_*</c> series, and in ASP.NET Core's own <c>http.server.request.duration</c> and
/// <c>http.server.active_requests</c> with the pipeline's tags (<see cref="HostingRequestMetrics"/>). The hosting
/// <c>Activity</c> does not see these requests: no trace is started or continued from <c>traceparent</c>.</para>
/// <para>The connection loop and what both share are here; the streams' part is in
/// <c>HubConnectionHandler.Streams.cs</c>, the polls' in <c>HubConnectionHandler.Polls.cs</c>.</para>
/// </remarks>
public sealed partial class HubConnectionHandler(
    SseManager sse,
    EventHub hub,
    StallWatchdog watchdog,
    IHostApplicationLifetime lifetime,
    IOptions<SseOptions> sseOptions,
    IOptions<HubOptions> hubOptions,
    IServiceScopeFactory scopes,
    AuthMode mode,
    ApiKeyStore keys,
    TaskAccess access,
    IAuthorizationPolicyProvider policies,
    IPolicyEvaluator evaluator,
    IOptions<KestrelServerOptions> kestrel,
    IOptions<HostFilteringOptions> hostFiltering,
    TimeProvider time,
    HostingRequestMetrics requests,
    IServiceProvider services,
    ILogger<HubConnectionHandler> logger)
{
    private static ReadOnlySpan<byte> DateHeaderName => "\r\nDate: "u8;
    private static ReadOnlySpan<byte> ServerHeader => "\r\nServer: Kestrel"u8;
    private static ReadOnlySpan<byte> RequestIdHeader => "\r\nX-Request-ID: "u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;
    // The request-log line, resolved once: the same logger, source context and template as UseSerilogRequestLogging's,
    // so a level override for request logs applies to these requests too.
    private readonly Serilog.ILogger? _requestLog = services.GetService<Serilog.ILogger>()
        ?.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Serilog.AspNetCore.RequestLoggingMiddleware");
    private readonly KestrelServerLimits _limits = kestrel.Value.Limits;
    private readonly bool _serverHeader = kestrel.Value.AddServerHeader;
    private readonly bool _streams = sseOptions.Value.ConnectionHandler;
    private readonly bool _polls = hubOptions.Value.PollConnectionHandler;
    // With AllowedHosts set, HostFiltering answers a foreign Host with 400: every request goes through it.
    private readonly bool _enabled = hostFiltering.Value.AllowedHosts is not { Count: > 0 } hosts || hosts.Contains("*");
    private DateHeader? _date;

    /// <summary>Handles one new connection: streams and polls here, until a request that is Kestrel's.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        if (!_enabled || !(_streams || _polls))
        {
            await next(connection);
            return;
        }
        var input = connection.Transport.Input;
        StallWatchdog.Guard? stalls = null;
        CancellationTokenSource? pollEnds = null;
        PollWaiter? waiter = null;
        // One source for every head this connection waits for, re-armed for each (no source nor timer per poll).
        var reading = ReadingSource(connection);
        try
        {
            for (var served = 0; ; served++)
            {
                ReadResult read;
                try
                {
                    Arm(reading, served == 0);
                    read = await input.ReadAsync(reading.Token);
                    reading.CancelAfter(Timeout.Infinite);
                }
                catch (Exception e) when (served == 0)
                {
                    LogNotLooked(logger, e, connection.ConnectionId);
                    reading.Dispose();
                    await next(connection);
                    return;
                }
                catch (Exception)
                {
                    // Idle past the keep-alive timeout, a stopping server or a broken connection: closed, as
                    // Kestrel closes an idle kept-alive connection.
                    return;
                }
                if (served > 0 && read.Buffer.IsEmpty && read.IsCompleted)
                {
                    return; // the client closed its kept-alive connection
                }

                RequestHead? head = null;
                Request? request = null;
                try
                {
                    head = read.IsCanceled ? null : RequestHead.TryParse(read.Buffer, _limits);
                    request = head switch
                    {
                        { Target: HeadTarget.Sse } when _streams && served == 0 => await AcceptStreamAsync(connection, head),
                        { Target: HeadTarget.Poll } when _polls => await AcceptPollAsync(connection, head, served),
                        _ => null,
                    };
                }
                catch (Exception e)
                {
                    LogNotLooked(logger, e, connection.ConnectionId);
                    request = null;
                }
                if (request is null)
                {
                    // Not consumed: Kestrel's first read gets the same bytes at once, and the connection is its own.
                    input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
                    stalls?.Dispose();
                    stalls = null;
                    pollEnds?.Dispose();
                    pollEnds = null;
                    waiter?.Dispose();
                    waiter = null;
                    reading.Dispose();
                    await next(connection);
                    return;
                }
                input.AdvanceTo(read.Buffer.GetPosition(head!.Length));
                if (request is StreamRequest stream)
                {
                    reading.Dispose(); // an open stream holds no more than it must (the idle row)
                    await StreamAsync(connection, stream);
                    return;
                }
                // A client that stops reading its answers is closed after Hub:StalledWriteTimeout, as a stream's is
                // (Kestrel's MinResponseDataRate does not watch a connection its HTTP layer has not started on).
                stalls ??= watchdog.Watch(connection.ConnectionId, connection.Abort);
                // A parked poll ends when the client leaves or the hub stops: one source for the connection's polls.
                pollEnds ??= CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
                // The wait is awaited in this frame, which lives as long as the connection, on the connection's waiter:
                // a parked poll holds no state machine nor completion of its own (issue #15).
                waiter ??= new PollWaiter(hub);
                var asked = (PollAsked)request;
                var started = Stopwatch.GetTimestamp();
                requests.Begin();
                PollResult? result = null;
                Exception? failure = null;
                try
                {
                    // The client leaving (the transport sees its FIN) cancels a parked poll, store reads included, as
                    // RequestAborted does on the endpoint; the hub stopping answers it at once with what is there, as
                    // stopWaiting does there. One token for both, made once per connection.
                    try
                    {
                        result = await hub.PollAsync(asked.Poll.After, asked.Poll.Filter, asked.Poll.Limit, asked.Poll.Wait, pollEnds.Token, waiter: waiter);
                    }
                    catch (OperationCanceledException) when (!connection.ConnectionClosed.IsCancellationRequested
                        && lifetime.ApplicationStopping.IsCancellationRequested)
                    {
                        result = await hub.PollAsync(asked.Poll.After, asked.Poll.Filter, asked.Poll.Limit, TimeSpan.Zero, connection.ConnectionClosed);
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                }
                Answered answered;
                try
                {
                    answered = await AnswerPollAsync(connection, asked, result, failure, started, head.Close, stalls);
                }
                catch (Exception)
                {
                    requests.Leave(); // every way out of AnswerPollAsync but a throw has ended the request
                    throw;
                }
                switch (answered)
                {
                    case Answered.KeepAlive:
                        continue;
                    case Answered.Failed:
                        // Nothing was written: the pipeline answers the request as if it had never been looked at
                        // (a 503 for a store that is away, its own 500 otherwise), and keeps the connection.
                        stalls.Dispose();
                        stalls = null;
                        pollEnds.Dispose();
                        pollEnds = null;
                        waiter.Dispose();
                        waiter = null;
                        reading.Dispose();
                        PutBack(connection, head);
                        await next(connection);
                        return;
                    default:
                        return;
                }
            }
        }
        finally
        {
            stalls?.Dispose();
            pollEnds?.Dispose();
            waiter?.Dispose();
            reading.Dispose();
        }
    }

    // Puts a consumed head back in front of the connection's input, for Kestrel to read first: the connection's
    // input from here on is a pipe the rest of the transport's bytes are copied into.
    private static void PutBack(ConnectionContext connection, RequestHead head)
    {
        var transport = connection.Transport;
        var pipe = new Pipe();
        head.WriteTo(pipe.Writer);
        _ = CopyAsync(transport.Input, pipe.Writer);
        connection.Transport = new Duplex(pipe.Reader, transport.Output);
    }

    // Never throws: nothing awaits it.
    private static async Task CopyAsync(PipeReader from, PipeWriter to)
    {
        try
        {
            await to.FlushAsync(); // the head put back
            await from.CopyToAsync(to);
            await to.CompleteAsync();
        }
        catch (Exception e)
        {
            await to.CompleteAsync(e);
        }
    }

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    private abstract record Request(string RequestId);

    // A read ends when the connection does or the server asks it to close (a stopping server must not wait on it).
    private static CancellationTokenSource ReadingSource(ConnectionContext connection) =>
        connection.Features.Get<IConnectionLifetimeNotificationFeature>() is { } lifetimeFeature
            ? CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetimeFeature.ConnectionClosedRequested)
            : CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);

    // The first read waits for as long as Kestrel would wait for a head (RequestHeadersTimeout), a later one as long as
    // Kestrel keeps an idle connection (KeepAliveTimeout), each when finite.
    private void Arm(CancellationTokenSource reading, bool first)
    {
        var timeout = first ? _limits.RequestHeadersTimeout : _limits.KeepAliveTimeout;
        if (timeout > TimeSpan.Zero && timeout.TotalMilliseconds < int.MaxValue)
        {
            reading.CancelAfter(timeout);
        }
    }

    // The client's own X-Request-ID, given once and sane, as RequestIdMiddleware takes it.
    private static string? RequestId(RequestHead head) =>
        head.Values(RequestIdMiddleware.Header) is [{ } given] && RequestIdMiddleware.IsSane(given) ? given : null;

    // The request is looked at in a frame of its own: its context and service scope are gone before it is answered.
    // Null when it does not authenticate or is not authorized as a subscriber.
    private async Task<(ClaimsPrincipal User, HttpRequest Request)?> AuthorizeAsync(ConnectionContext connection, RequestHead head)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = "http";
        request.Protocol = HttpProtocol.Http11;
        request.Host = new HostString(head.Host);
        request.Path = head.Path;
        request.QueryString = new QueryString(head.Query);
        foreach (var (name, value) in head.Headers)
        {
            request.Headers.Append(name, value);
        }
        if (connection.RemoteEndPoint is IPEndPoint remote)
        {
            context.Connection.RemoteIpAddress = remote.Address;
            context.Connection.RemotePort = remote.Port;
        }
        if (connection.LocalEndPoint is IPEndPoint local)
        {
            context.Connection.LocalIpAddress = local.Address;
            context.Connection.LocalPort = local.Port;
        }

        // As the pipeline: OpenModeAuthentication (or UseAuthentication), then UseAuthorization's policy evaluation.
        ClaimsPrincipal user;
        if (mode.IsOpen && SecurityExtensions.SelectScheme(context) == ApiKeyAuthenticationHandler.SchemeName)
        {
            user = keys.Anonymous;
        }
        else if (await context.AuthenticateAsync(SecurityExtensions.Scheme) is { Succeeded: true, Principal: { } principal })
        {
            user = principal;
        }
        else
        {
            return null;
        }
        context.User = user;
        var policy = await policies.GetPolicyAsync(HubPolicies.Subscriber);
        if (policy is null)
        {
            return null;
        }
        var authenticated = await evaluator.AuthenticateAsync(policy, context);
        var authorized = await evaluator.AuthorizeAsync(policy, authenticated, context, resource: null);
        return authorized.Succeeded ? (user, request) : null;
    }

    private static bool IsBroken(Exception e) =>
        e is IOException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException or InvalidOperationException;

    // The headers every answer's head ends with: Date, Server (as Kestrel sends it), X-Request-ID, the empty line.
    private void WriteHeadEnd(PipeWriter output, string requestId)
    {
        output.Write(DateHeaderName);
        output.Write(Date());
        if (_serverHeader)
        {
            output.Write(ServerHeader);
        }
        output.Write(RequestIdHeader);
        WriteAscii(output, requestId);
        output.Write(HeadEnd);
    }

    private static void WriteAscii(PipeWriter output, string text)
    {
        var span = output.GetSpan(text.Length);
        var written = Encoding.ASCII.GetBytes(text, span);
        output.Advance(written);
    }

    private static void WriteNumber(PipeWriter output, long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    // The Date header's bytes, made once a second (as Kestrel's own date header is).
    private ReadOnlySpan<byte> Date()
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        var date = _date;
        if (date is null || date.Second != second)
        {
            date = new DateHeader(second, Encoding.ASCII.GetBytes(now.ToString("r", CultureInfo.InvariantCulture)));
            _date = date;
        }
        return date.Bytes;
    }

    private sealed record DateHeader(long Second, byte[] Bytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} goes to Kestrel unread by the hub's connection handler")]
    private static partial void LogNotLooked(ILogger logger, Exception exception, string connectionId);
}
