using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// One API key's publish token bucket, kept in Redis so that it holds across every node (cluster mode): a hash
/// P"ratelimit:" + SHA-256 of the key's name, taken atomically by <c>RateLimitTake.lua</c>. It refills continuously at
/// <c>permitsPerSecond</c> up to <c>burst</c>, on the node's <see cref="TimeProvider"/> clock (the clock every other
/// timed behaviour of the hub uses, so a fake clock drives it in tests); the hash expires once a full refill would
/// have made it new again. When Redis cannot be reached the limiter lets the request through (fail-open): the publish
/// behind it fails on the same Redis with its own, honest error, where a 429 would tell the client to wait for
/// nothing.
/// </summary>
internal sealed class RedisTokenBucketLimiter : RateLimiter
{
    private static readonly RateLimitLease s_acquired = new Lease(true, null);
    private static readonly RateLimitLease s_notYet = new Lease(false, null);

    private readonly RedisStorage _storage;
    private readonly RedisKey _key;
    private readonly int _burst;
    private readonly int _permitsPerSecond;
    private readonly long _ttlMilliseconds;

    public RedisTokenBucketLimiter(RedisStorage storage, string keyName, int burst, int permitsPerSecond)
    {
        _storage = storage;
        // The key's name, hashed: names are not secrets, but a Redis key should carry nothing a caller chose.
        _key = storage.Key("ratelimit:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(keyName)))[..32]);
        _burst = burst;
        _permitsPerSecond = permitsPerSecond;
        _ttlMilliseconds = (long)Math.Ceiling(burst * 1000.0 / permitsPerSecond) + 1000;
    }

    public override TimeSpan? IdleDuration => null; // one limiter per configured key: a bounded set, nothing to reap

    public override RateLimiterStatistics? GetStatistics() => null;

    // The middleware tries this first and then AcquireAsync: the bucket is only in Redis, so this never takes one.
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => permitCount == 0 ? s_acquired : s_notYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (permitCount == 0)
        {
            return s_acquired;
        }
        if (permitCount > _burst)
        {
            return new Lease(false, null);
        }
        try
        {
            var answer = (RedisResult[])(await _storage.Database.ScriptEvaluateAsync(RedisScripts.RateLimit, [_key],
                [_storage.Time.GetUtcNow().ToUnixTimeMilliseconds(), _burst, _permitsPerSecond, permitCount, _ttlMilliseconds])
                .WaitAsync(cancellationToken).ConfigureAwait(false))!;
            return (long)answer[0] == 1 ? s_acquired : new Lease(false, TimeSpan.FromMilliseconds((long)answer[1]));
        }
        catch (Exception exception) when (exception is RedisException or ObjectDisposedException)
        {
            _storage.Logger.LogWarning("The publish rate limit could not be read from Redis ({Error}); the request goes through.", exception.GetType().Name);
            return s_acquired;
        }
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
