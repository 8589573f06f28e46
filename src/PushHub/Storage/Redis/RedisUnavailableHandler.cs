using Microsoft.AspNetCore.Diagnostics;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// Answers a request that failed because Redis could not be reached or could not take writes — the seconds of a
/// failover, a restart, a replica not yet promoted — with <c>503</c> and <c>Retry-After</c> instead of a <c>500</c>: the
/// node itself is fine and the same request will work once Redis is back. A publish that failed this way may or may
/// not have been stored; a retry with the same idempotency keys answers the stored original, so retrying is safe.
/// </summary>
internal sealed partial class RedisUnavailableHandler(IProblemDetailsService problems, ILogger<RedisUnavailableHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
        {
            return false;
        }
        // The message names the endpoint at most, never the configuration string (which may hold a password).
        LogUnavailable(logger, exception.GetType().Name, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Storage unavailable",
                Detail = "The hub's Redis cannot be reached or cannot take writes right now (a failover or restart may be " +
                    "under way). Retry in a moment; retry a publish with the same idempotency keys, which makes it safe.",
            },
        }).ConfigureAwait(false);
    }

    /// <summary>Connection failures and timeouts, and the errors a primary that is going away or a replica answers.</summary>
    internal static bool IsUnavailable(Exception exception) => exception switch
    {
        RedisConnectionException or RedisTimeoutException => true,
        RedisServerException server => server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal),
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable, answered 503: {Kind}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string kind, string reason);
}
