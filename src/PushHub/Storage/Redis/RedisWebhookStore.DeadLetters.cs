using System.Text.Json;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

internal sealed partial class RedisWebhookStore
{
    /// <summary>How many stored events one replay step reads and enqueues.</summary>
    private const int ReplayPage = 500;

    public async Task<int> EnqueueOverdueFallbacksAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (_, reply) = await WithSnapshotAsync(s =>
        {
            var triples = s.All
                .Where(w => w.FallbackAfter is not null && FallbackOf(s, w.Id) != "")
                .SelectMany(w => (RedisValue[])[w.Id, w.FallbackWebhookId, (long)w.FallbackAfter!.Value.TotalMilliseconds]);
            return EvalAsync(RedisWebhookScripts.Fallbacks, [now.ToUnixTimeMilliseconds(), s.Version, .. triples]);
        }).ConfigureAwait(false);
        return (int)(long)reply[1];
    }

    /// <remarks>
    /// Reads the event log (<c>P"ix:all"</c>, <c>P"ev"</c>, read-only) a page at a time and enqueues each page's matches
    /// in one script: a long replay is several steps, each atomic, in seq order.
    /// </remarks>
    public async Task<int> ReplayAsync(string webhookId, long after, long? until, CancellationToken cancellationToken = default)
    {
        if (await GetAsync(webhookId, cancellationToken).ConfigureAwait(false) is not { } webhook)
        {
            return 0;
        }
        var now = NowMs;
        var queued = 0;
        var from = after;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var seqs = await database.SortedSetRangeByScoreAsync(prefix + "ix:all", from, until ?? double.PositiveInfinity,
                Exclude.Start, Order.Ascending, 0, ReplayPage).ConfigureAwait(false);
            if (seqs.Length == 0)
            {
                return queued;
            }
            var events = await database.HashGetAsync(prefix + "ev", seqs).ConfigureAwait(false);
            var entries = new List<RedisValue>();
            for (var i = 0; i < seqs.Length; i++)
            {
                if (!events[i].IsNull && ReadEventHead(events[i]!) is var (task, type, at) && webhook.Matches(task, type))
                {
                    // Due at once, scored by the event's time: in event order, and no pile of deliveries on one score.
                    var due = Math.Min(at, now);
                    entries.Add(seqs[i]);
                    entries.Add(due);
                    entries.Add(RedisOutboxJson.Write(new RedisDelivery { Task = task, Type = type, EventAt = at, Next = due }));
                }
            }
            if (entries.Count > 0)
            {
                var reply = await EvalAsync(RedisWebhookScripts.Enqueue, [webhookId, .. entries]).ConfigureAwait(false);
                queued += (int)(long)reply[1];
            }
            from = (long)seqs[^1];
        }
    }

    public async Task AppendAttemptAsync(DeliveryAttemptRecord attempt, CancellationToken cancellationToken = default) =>
        await EvalAsync(RedisWebhookScripts.AppendAttempt, attempt.WebhookId, RedisOutboxJson.Write(RedisAttempt.From(attempt))).ConfigureAwait(false);

    /// <summary>
    /// Retention of the attempt logs, as the SQLite provider prunes them with the events: no line older than
    /// <paramref name="olderThan"/> stays (the cap of <see cref="WebhookRecord.MaxAttemptLog"/> lines is kept on every
    /// write). For the event log's retention to call once per run; answers how many lines went.
    /// </summary>
    /// <summary>Drops attempt-log lines older than <paramref name="olderThan"/>, at most <paramref name="chunk"/> per script call.</summary>
    internal async Task<long> PruneAttemptLogsAsync(DateTimeOffset olderThan, int chunk = 1000)
    {
        long total = 0;
        while (true)
        {
            var reply = await EvalAsync(RedisWebhookScripts.PruneAttemptLogs, olderThan.ToUnixTimeMilliseconds(), chunk).ConfigureAwait(false);
            total += (long)reply[1];
            if ((string)reply[2]! != "MORE")
            {
                return total;
            }
        }
    }

    public async Task<IReadOnlyList<DeliveryAttemptRecord>> ListAttemptsAsync(string webhookId, int limit, CancellationToken cancellationToken = default)
    {
        var count = Math.Min(limit, WebhookRecord.MaxAttemptLog);
        if (count <= 0)
        {
            return [];
        }
        var lines = await database.ListRangeAsync(prefix + "att:" + webhookId, 0, count - 1).WaitAsync(cancellationToken).ConfigureAwait(false);
        return lines.Select(line => RedisOutboxJson.Read<RedisAttempt>(line.ToString()).ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(IReadOnlyCollection<string>? webhookIds, int limit,
        CancellationToken cancellationToken = default)
    {
        if (webhookIds is { Count: 0 } || limit <= 0)
        {
            return [];
        }
        var reply = await EvalAsync(RedisWebhookScripts.ListDeadLetters,
            [limit, webhookIds is null ? "all" : "some", .. (webhookIds ?? []).Select(id => (RedisValue)id)]).WaitAsync(cancellationToken).ConfigureAwait(false);
        return reply.Skip(1).Select(json => RedisOutboxJson.Read<RedisDeadLetter>((string)json!).ToRecord()).ToList();
    }

    public async Task<DeadLetterRecord?> GetDeadLetterAsync(long id, CancellationToken cancellationToken = default)
    {
        var json = await database.HashGetAsync(prefix + "dl", id).WaitAsync(cancellationToken).ConfigureAwait(false);
        return json.IsNull ? null : RedisOutboxJson.Read<RedisDeadLetter>(json.ToString()).ToRecord();
    }

    public async Task<int> ReplayDeadLettersAsync(long? id, string? webhookId, CancellationToken cancellationToken = default)
    {
        if (id is null && webhookId is null)
        {
            throw new ArgumentException("Name a dead letter or a webhook whose dead letters to replay.", nameof(id));
        }
        var reply = await EvalAsync(RedisWebhookScripts.ReplayDeadLetters,
            NowMs, id is null ? "webhook" : "id", id is { } one ? one : webhookId).ConfigureAwait(false);
        return (int)(long)reply[1];
    }

    public async Task<bool> DeleteDeadLetterAsync(long id, CancellationToken cancellationToken = default)
    {
        var reply = await EvalAsync(RedisWebhookScripts.DeleteDeadLetter, id).ConfigureAwait(false);
        return (long)reply[1] == 1;
    }

    /// <summary>The task id, type and commit time of a stored event (<c>{"seq","task_id","type","timestamp","data"}</c>).</summary>
    private static (string Task, string Type, long At)? ReadEventHead(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        string? task = null, type = null;
        long? at = null;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName && (task is null || type is null || at is null))
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "task_id": task = reader.GetString(); break;
                case "type": type = reader.GetString(); break;
                case "timestamp": at = reader.GetDateTimeOffset().ToUnixTimeMilliseconds(); break;
                default: reader.Skip(); break;
            }
        }
        return task is null || type is null || at is null ? null : (task, type, at.Value);
    }
}
