using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// Leases shared by every node on one Redis: P"lease:" + name holds the node id with a PX expiry. A free lease is
/// taken with the expiry; only its holder renews or releases it (a check and a write in one script), so a node that
/// dies hands its work on when the expiry passes.
/// </summary>
internal sealed class RedisClusterLeases(RedisStorage storage) : IClusterLeases
{
    public string NodeId => storage.NodeId;

    public async Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var held = await storage.Database.ScriptEvaluateAsync(RedisScripts.Lease, [storage.Key("lease:" + name)],
            ["acquire", NodeId, (long)Math.Max(1, duration.TotalMilliseconds)]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return (long)held == 1;
    }

    public async Task ReleaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (storage.Closing.IsCancellationRequested)
        {
            return; // the connection is gone: the lease ends by its expiry
        }
        try
        {
            await storage.Database.ScriptEvaluateAsync(RedisScripts.Lease, [storage.Key("lease:" + name)], ["release", NodeId, 0])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is RedisException or ObjectDisposedException)
        {
            // Releasing is a courtesy on a clean stop; a lease that is not released ends by its expiry.
        }
    }
}
