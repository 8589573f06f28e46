using Serilog.Context;

namespace PushHub.Observability;

/// <summary>
/// Gives every request a correlation id: the caller's <c>X-Request-ID</c> when it is sane, else the server's own.
/// It is returned in the response and attached to every log line of the request.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-ID";

    public async Task InvokeAsync(HttpContext context)
    {
        var id = context.Request.Headers[Header] is [{ } given] && IsSane(given) ? given : context.TraceIdentifier;
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        using (LogContext.PushProperty("RequestId", id))
        {
            await next(context);
        }
    }

    // Echoed into a header and the logs: printable ASCII only, bounded, so it cannot forge lines or headers.
    internal static bool IsSane(string value) => value.Length is > 0 and <= 128 && value.All(c => c is > ' ' and <= '~');
}
