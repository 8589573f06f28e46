namespace PushHub.Storage.Redis;

/// <summary>The Redis provider's settings, bound from <c>Storage:Redis</c> (used when <c>Storage:Provider</c> is Redis).</summary>
public sealed class RedisStorageOptions
{
    /// <summary>A StackExchange.Redis configuration string: <c>127.0.0.1:6379</c>, or Sentinels with <c>serviceName=pushhub</c>.</summary>
    public string? Configuration { get; set; }

    /// <summary>Every key of this hub starts with it, so several hubs can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "pushhub:";

    /// <summary>A publish is acknowledged only once this many replicas have it (<c>WAIT</c>); 0 does not wait.</summary>
    public int WaitForReplicas { get; set; }

    /// <summary>How long a publish waits for <see cref="WaitForReplicas"/> before it is answered 503.</summary>
    public TimeSpan WaitTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The problems with these settings, each naming its key; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            yield return "Storage:Redis:Configuration is required when Storage:Provider is Redis, e.g. 127.0.0.1:6379 " +
                "(or Sentinels with serviceName=pushhub).";
        }
        if (string.IsNullOrEmpty(KeyPrefix) || KeyPrefix.Any(char.IsWhiteSpace))
        {
            yield return "Storage:Redis:KeyPrefix must be a non-empty prefix without spaces, e.g. pushhub:.";
        }
        if (WaitForReplicas is < 0 or > 16)
        {
            yield return "Storage:Redis:WaitForReplicas must be from 0 to 16.";
        }
        if (WaitTimeout < TimeSpan.FromMilliseconds(1) || WaitTimeout > TimeSpan.FromMinutes(1))
        {
            yield return "Storage:Redis:WaitTimeout must be from 00:00:00.001 to 00:01:00.";
        }
    }
}
