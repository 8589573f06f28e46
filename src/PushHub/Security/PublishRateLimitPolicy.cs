using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace PushHub.Security;

/// <summary>
/// A token bucket per API key on publishing. Apply with <c>.RequireRateLimiting(PublishRateLimitPolicy.Name)</c>.
/// Callers without a key (open mode) are not limited: there is no key to count against.
/// </summary>
public sealed class PublishRateLimitPolicy(IOptions<RateLimitingOptions> options) : IRateLimiterPolicy<string>
{
    public const string Name = "pushhub:publish";

    private readonly RateLimitingOptions _options = options.Value;

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (context, cancellationToken) =>
    {
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await AccessProblems.TooManyRequests(seconds).ExecuteAsync(context.HttpContext);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var user = httpContext.User;
        if (_options.PermitsPerSecond == 0 || user.FindFirst(HubClaims.Kind)?.Value != HubClaims.ApiKeyKind || user.Identity?.Name is not { } key)
        {
            return RateLimitPartition.GetNoLimiter("");
        }
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = _options.Burst,
            TokensPerPeriod = _options.PermitsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
