using System.Globalization;
using PushHub.Hub;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

internal sealed partial class RedisPollingStore
{
    /// <summary>The most events one retention step removes: Redis runs one script at a time, so steps stay short.</summary>
    private const int PruneChunk = 1000;

    public async Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        var fields = await storage.Database.HashGetAsync(storage.Key("task:" + taskId),
            ["status", "percent", "message", "created", "updated", "last_seq", "count"]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return fields[0].IsNull ? null : Snapshot(taskId, fields);
    }

    public Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default) =>
        TasksAsync("recent", status, 0, limit, cancellationToken);

    public Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default) =>
        TasksAsync("silent", TaskStatuses.Running, silentSince.ToUnixTimeMilliseconds(), limit, cancellationToken);

    private async Task<IReadOnlyList<TaskSnapshot>> TasksAsync(string mode, string? status, long sinceMs, int limit, CancellationToken cancellationToken)
    {
        if (limit < 1)
        {
            return [];
        }
        var result = (RedisResult[])(await storage.Database.ScriptEvaluateAsync(RedisScripts.Tasks, null,
            [storage.Prefix, mode, status ?? "", sinceMs, limit]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var tasks = new List<TaskSnapshot>(result.Length / 8);
        for (var i = 0; i + 7 < result.Length; i += 8)
        {
            var fields = new RedisValue[7];
            for (var f = 0; f < 7; f++)
            {
                fields[f] = (RedisValue)result[i + 1 + f];
            }
            tasks.Add(Snapshot((string)result[i]!, fields));
        }
        return tasks;
    }

    private static TaskSnapshot Snapshot(string taskId, RedisValue[] f) => new(
        taskId,
        (string)f[0]!,
        f[1].IsNullOrEmpty ? null : double.Parse((string)f[1]!, CultureInfo.InvariantCulture),
        f[2].IsNull ? null : (string?)f[2],
        DateTimeOffset.FromUnixTimeMilliseconds((long)f[3]),
        DateTimeOffset.FromUnixTimeMilliseconds((long)f[4]),
        (long)f[5],
        (long)f[6]);

    public async Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        // Timestamps are stored as fixed-width ISO 8601 text, which compares as the times do.
        var cutoff = olderThan <= DateTimeOffset.UnixEpoch ? "" : StoredEvent.FormatTimestamp(olderThan.ToUniversalTime());
        long total = 0;
        for (var round = 0; !cancellationToken.IsCancellationRequested;)
        {
            var webhooks = _webhooks;
            var values = new List<RedisValue> { storage.Prefix, maxEvents, cutoff, PruneChunk, webhooks.Version, webhooks.Enabled.Count };
            values.AddRange(webhooks.Enabled.Select(webhook => (RedisValue)webhook.Id));
            var result = (RedisResult[])(await storage.Database.ScriptEvaluateAsync(RedisScripts.Prune, null, [.. values])
                .ConfigureAwait(false))!;
            if ((string)result[0]! == "STALE")
            {
                if (++round > MaxStaleRounds)
                {
                    throw new InvalidOperationException("Retention gave up for now: the webhooks kept changing while it ran.");
                }
                await ReloadWebhooksAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            var removed = (long)result[1];
            Volatile.Write(ref _first, (long)result[2]);
            total += removed;
            if (removed < PruneChunk)
            {
                break;
            }
        }
        // The attempt logs keep nothing older than the event retention, as with SQLite.
        await storage.WebhookStore.PruneAttemptLogsAsync(olderThan).ConfigureAwait(false);
        return total;
    }

    public Task CheckWritableAsync(CancellationToken cancellationToken = default) =>
        // A replica (or a primary that lost its quorum) refuses this write as it would an append.
        storage.Database.StringSetAsync(storage.Key("alive:" + storage.NodeId), storage.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            TimeSpan.FromMinutes(5)).WaitAsync(cancellationToken);
}
