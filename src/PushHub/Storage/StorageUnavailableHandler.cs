using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace PushHub.Storage;

/// <summary>
/// Answers a request that failed because Redis could not be reached or could not take writes — the seconds of a
/// failover, a restart, a replica not yet promoted — with <c>503</c> and <c>Retry-After</c> instead of a <c>500</c>: the
/// node itself is fine and the same request will work once Redis is back. A publish that failed this way may or may
/// not have been stored; a retry with the same idempotency keys answers the stored original, so retrying is safe.
/// A <see cref="LeaseBusyException"/> (another node kept a lease the request needs) is answered the same way.
/// </summary>
internal sealed partial class StorageUnavailableHandler(IProblemDetailsService problems, ILogger<StorageUnavailableHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (context.Response.HasStarted)
        {
            return false;
        }
        if (exception is LeaseBusyException busy)
        {
            LogLeaseBusy(logger, busy.Lease);
            return await WriteAsync(context, exception, "Cluster lease busy", busy.Message + " Retry in a moment.").ConfigureAwait(false);
        }
        if (!IsUnavailable(exception))
        {
            return false;
        }
        // The message names the endpoint at most, never the configuration string (which may hold a password).
        LogUnavailable(logger, exception.GetType().Name, exception.Message);
        return await WriteAsync(context, exception, "Storage unavailable",
            "The hub's Redis cannot be reached or cannot take writes right now (a failover or restart may be under way). " +
            "Retry in a moment; retry a publish with the same idempotency keys, which makes it safe.").ConfigureAwait(false);
    }

    private ValueTask<bool> WriteAsync(HttpContext context, Exception exception, string title, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = title, Detail = detail },
        });
    }

    /// <summary>
    /// Connection failures and timeouts, the errors a primary that is going away or a replica answers (or the client
    /// refuses to send to one that it has just seen turn into a replica), and a script missing again right after it
    /// was loaded (a second failover or a <c>SCRIPT FLUSH</c> in between: the next request loads it once more).
    /// </summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        // The server picked as the primary was turned into a replica just before (a failover under way).
        RedisCommandException command => command.Message.StartsWith("Command cannot be issued to a replica", StringComparison.Ordinal),
        RedisServerException server => server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal)
            || server.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable, answered 503: {Kind}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster lease {Lease} held by another node past the wait, answered 503")]
    private static partial void LogLeaseBusy(ILogger logger, string lease);
}
