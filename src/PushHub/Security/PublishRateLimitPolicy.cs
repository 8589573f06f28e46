using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using PushHub.Storage;
using PushHub.Storage.Redis;

namespace PushHub.Security;

/// <summary>
/// A token bucket per API key on publishing. Apply with <c>.RequireRateLimiting(PublishRateLimitPolicy.Name)</c>.
/// Callers without a key (open mode) are not limited: there is no key to count against. With
/// <c>Storage:Provider=Redis</c> the bucket lives in Redis (<see cref="RedisTokenBucketLimiter"/>), so a key's limit holds
/// across every node rather than once per node; with SQLite it is in-process.
/// </summary>
public sealed class PublishRateLimitPolicy(IOptions<RateLimitingOptions> options, IOptions<StorageOptions> storage, IServiceProvider services)
    : IRateLimiterPolicy<string>
{
    public const string Name = "pushhub:publish";

    private readonly RateLimitingOptions _options = options.Value;
    private readonly bool _redis = storage.Value.Provider == StorageProvider.Redis;

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
        if (_redis)
        {
            return RateLimitPartition.Get(key, name =>
                new RedisTokenBucketLimiter(services.GetRequiredService<RedisStorage>(), name, _options.Burst, _options.PermitsPerSecond));
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
