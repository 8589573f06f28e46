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
using PushHub.Http;
using PushHub.Observability;
using PushHub.Security;
using Serilog.Context;

namespace PushHub.Sse;

/// <summary>
/// Serves <c>GET /events/sse</c> on plaintext HTTP/1.1 straight from the connection, as Kestrel connection
/// middleware, so that an open stream holds the socket, the subscription and the write loop, and none of the
/// request pipeline's state (about 18 KB per idle stream through the endpoint, 10 KB here: issue #15).
/// </summary>
/// <remarks>
/// <para>The first request head on a connection is read without being consumed. Unless it is one that
/// <see cref="SseRequestHead"/> accepts and that authenticates, is authorized as a subscriber and asks for a valid
/// subscription the caller may read, the connection goes on to Kestrel with its bytes untouched: every refusal
/// (400, 401, 403), CORS, HTTP/2, TLS and every other path are the pipeline's own, as with
/// <c>Sse:ConnectionHandler</c> off.</para>
/// <para>Accepted, the stream is answered <c>200</c> with the endpoint's headers and <c>Connection: close</c> (the body
/// ends when the connection does, so there is no chunked framing), then runs <see cref="SseManager"/>'s write loop
/// on the connection's output. It writes the same request-log line as the pipeline, with the same <c>RequestId</c>,
/// and counts in <c>/stats</c> and <c>pushhub_connections</c>; ASP.NET Core's own <c>http.server.*</c> request
/// metrics do not see these streams.</para>
/// </remarks>
public sealed partial class SseConnectionHandler(
    SseManager sse,
    IServiceScopeFactory scopes,
    AuthMode mode,
    ApiKeyStore keys,
    TaskAccess access,
    IAuthorizationPolicyProvider policies,
    IPolicyEvaluator evaluator,
    IOptions<KestrelServerOptions> kestrel,
    IOptions<HostFilteringOptions> hostFiltering,
    TimeProvider time,
    IServiceProvider services,
    ILogger<SseConnectionHandler> logger)
{
    private static ReadOnlySpan<byte> HeadStart => "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nDate: "u8;
    private static ReadOnlySpan<byte> ServerHeader => "\r\nServer: Kestrel"u8;
    private static ReadOnlySpan<byte> HeadMiddle => "\r\nCache-Control: no-cache\r\nConnection: close\r\nX-Request-ID: "u8;
    private static ReadOnlySpan<byte> HeadEnd => "\r\nX-Accel-Buffering: no\r\n\r\n"u8;

    // The request-log line, resolved once: the same logger, source context and template as UseSerilogRequestLogging's,
    // so a level override for request logs applies to these streams too.
    private readonly Serilog.ILogger? _requestLog = services.GetService<Serilog.ILogger>()
        ?.ForContext(Serilog.Core.Constants.SourceContextPropertyName, "Serilog.AspNetCore.RequestLoggingMiddleware");
    private readonly KestrelServerLimits _limits = kestrel.Value.Limits;
    private readonly bool _serverHeader = kestrel.Value.AddServerHeader;
    // With AllowedHosts set, HostFiltering answers a foreign Host with 400: every request goes through it.
    private readonly bool _enabled = hostFiltering.Value.AllowedHosts is not { Count: > 0 } hosts || hosts.Contains("*");

    /// <summary>Handles one new connection: an SSE stream here, or on to Kestrel's HTTP handling.</summary>
    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var accepted = _enabled ? await AcceptAsync(connection) : null;
        if (accepted is null)
        {
            await next(connection);
            return;
        }
        await StreamAsync(connection, accepted);
    }

    private sealed record Accepted(EventFilter Filter, long? After, string RequestId);

    // The request is looked at in a frame of its own: its context, principal and service scope are gone before the
    // stream starts. Whatever goes wrong here (a reset, a timeout, a stopping server, an exception while
    // authenticating) leaves the connection to Kestrel as it came.
    private async Task<Accepted?> AcceptAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        ReadResult read;
        using (var waiting = FirstReadToken(connection))
        {
            try
            {
                read = await input.ReadAsync(waiting.Token);
            }
            catch (Exception e)
            {
                LogNotLooked(logger, e, connection.ConnectionId);
                return null;
            }
        }
        Accepted? accepted = null;
        SseRequestHead? head = null;
        try
        {
            head = read.IsCanceled ? null : SseRequestHead.TryParse(read.Buffer, _limits);
            accepted = head is null ? null : await AuthorizeAsync(connection, head);
        }
        catch (Exception e)
        {
            LogNotLooked(logger, e, connection.ConnectionId);
        }
        if (accepted is null)
        {
            // Not consumed: Kestrel's first read gets the same bytes at once.
            input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
        }
        else
        {
            input.AdvanceTo(read.Buffer.GetPosition(head!.Length));
        }
        return accepted;
    }

    // The first read waits for as long as Kestrel would wait for a head (RequestHeadersTimeout, when finite), and no
    // longer than the connection lives or the server asks it to close (a stopping server must not wait on it).
    private CancellationTokenSource FirstReadToken(ConnectionContext connection)
    {
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        var waiting = lifetime is null
            ? CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed)
            : CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ConnectionClosedRequested);
        var timeout = _limits.RequestHeadersTimeout;
        if (timeout > TimeSpan.Zero && timeout.TotalMilliseconds < int.MaxValue)
        {
            waiting.CancelAfter(timeout);
        }
        return waiting;
    }

    private async Task<Accepted?> AuthorizeAsync(ConnectionContext connection, SseRequestHead head)
    {
        await using var scope = scopes.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = "http";
        request.Protocol = HttpProtocol.Http11;
        request.Host = new HostString(head.Host);
        request.Path = SseRequestHead.Path;
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
        if (!authorized.Succeeded)
        {
            return null;
        }
        if (SubscribeRequest.Read(request, out _) is not { } subscribe || access.AuthorizeRead(user, subscribe.Filter.Tasks) is not null)
        {
            return null;
        }
        var id = request.Headers[RequestIdMiddleware.Header] is [{ } given] && RequestIdMiddleware.IsSane(given)
            ? given
            : connection.ConnectionId + ":00000001"; // what Kestrel names the connection's first request
        return new Accepted(subscribe.Filter, subscribe.After, id);
    }

    private async Task StreamAsync(ConnectionContext connection, Accepted accepted)
    {
        var started = Stopwatch.GetTimestamp();
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        WriteHead(output, accepted.RequestId);

        // Kestrel would notice a departed client by reading the connection; so does this, which also discards
        // anything the client sends after its request.
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var watching = WatchInputAsync(input, gone);
        try
        {
            using (LogContext.PushProperty("RequestId", accepted.RequestId))
            {
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
                    _requestLog?.Information(LogFormat.RequestTemplate, HttpMethods.Get, SseRequestHead.Path, StatusCodes.Status200OK,
                        Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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
            catch (Exception e) when (e is IOException or ConnectionResetException or ConnectionAbortedException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection broke on the way: nothing more to send anyway.
            }
        }
    }

    private void WriteHead(PipeWriter output, string requestId)
    {
        output.Write(HeadStart);
        output.Write(Encoding.ASCII.GetBytes(time.GetUtcNow().ToString("r", CultureInfo.InvariantCulture)));
        if (_serverHeader)
        {
            output.Write(ServerHeader);
        }
        output.Write(HeadMiddle);
        output.Write(Encoding.ASCII.GetBytes(requestId));
        output.Write(HeadEnd);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} goes to Kestrel unread by the SSE handler")]
    private static partial void LogNotLooked(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "SSE stream {RequestId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string requestId);
}
