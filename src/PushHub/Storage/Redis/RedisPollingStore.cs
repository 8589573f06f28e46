using System.Globalization;
using PushHub.Hub;
using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// The Redis event log. An append is one Lua script (<c>EventAppend.lua</c>): seq, event, indexes, idempotency key,
/// task projection and outbox rows in one atomic step; concurrent appends of one node share a script (group commit,
/// <c>RedisPollingStore.GroupCommit.cs</c>). Reads are read-only scripts over the zset indexes, so each page
/// is one consistent view; followers read the log themselves, woken by pub/sub and at least every second.
/// </summary>
internal sealed partial class RedisPollingStore(RedisStorage storage) : IPollingStore
{
    /// <summary>How often a STALE answer (the webhooks changed meanwhile) may send an append round again.</summary>
    private const int MaxStaleRounds = 20;

    /// <summary>Length of <c>{"seq":0</c>: what <see cref="StoredEvent.Create"/> writes before the rest of the event.</summary>
    private const int SeqZeroPrefix = 8;

    private static readonly string s_appendSha =
        Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(RedisScripts.Append)));

    private long _head;
    private long _first = 1;

    /// <summary>The highest seq this node has seen; passed to every append, so a seq is never handed out twice even
    /// when a failover of Redis lost writes that were acknowledged.</summary>
    private long _highestSeen;

    /// <summary>The enabled webhooks as the append script matched them last, tagged with the P"wh:ver" they were read at
    /// ("" until loaded: the first append's STALE answer brings the version).</summary>
    private volatile WebhookCache _webhooks = new("", []);

    public long HeadSeq => Volatile.Read(ref _head);

    public long FirstSeq => Volatile.Read(ref _first);

    /// <summary>Reads where the log stands, as the node opens.</summary>
    internal void Load()
    {
        var values = storage.Database.StringGet([storage.Key("seq"), storage.Key("first")]);
        var head = values[0].HasValue ? (long)values[0] : 0;
        Seen(head, values[1].HasValue ? (long)values[1] : head + 1);
        StartGroupCommits();
    }

    public Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfZero(events.Count);
        try
        {
            Validate(events);
        }
        catch (ArgumentException exception)
        {
            return Task.FromException<IReadOnlyList<AppendOutcome>>(exception); // as an async method would answer
        }
        return EnqueueAppend(events);
    }

    public async Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default)
    {
        // Not group-committed: the task check (MOVED) refuses the whole script, so this one runs alone.
        Validate([input]);
        var outcomes = await RunAppendScriptAsync([input], expectedLastSeq).ConfigureAwait(false);
        return outcomes?[0].Event;
    }

    /// <summary>Everything the script could refuse half-way is refused here first, for the whole batch.</summary>
    private static void Validate(IReadOnlyList<EventInput> events)
    {
        foreach (var input in events)
        {
            ArgumentException.ThrowIfNullOrEmpty(input?.TaskId, "events[].TaskId");
            ArgumentException.ThrowIfNullOrEmpty(input.Type, "events[].Type");
        }
    }

    /// <summary>
    /// One append script for <paramref name="events"/>, retried while the webhook cache is stale; null when the task
    /// moved on (<paramref name="expectedLastSeq"/>). Not cancellable once sent: the script runs or not as one, whether
    /// or not the caller still waits. With <see cref="RedisStorageOptions.WaitForReplicas"/>, returns once the replicas
    /// have it (<see cref="EvaluateAppendAsync"/>).
    /// </summary>
    private async Task<List<AppendOutcome>?> RunAppendScriptAsync(IReadOnlyList<EventInput> events, long? expectedLastSeq)
    {
        var now = storage.Time.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        var nowMs = now.ToUnixTimeMilliseconds();
        for (var round = 0; ; round++)
        {
            var webhooks = _webhooks;
            var result = (RedisResult[])(await EvaluateAppendAsync(AppendArguments(events, expectedLastSeq, webhooks, now, nowMs))
                .ConfigureAwait(false))!;
            var status = (string)result[0]!;
            if (status == "STALE" && round < MaxStaleRounds)
            {
                // The webhooks changed (on any node) since the cache was loaded: match against the current ones.
                await ReloadWebhooksAsync(CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            if (status == "MOVED")
            {
                return null;
            }
            if (status != "OK")
            {
                throw new InvalidOperationException($"The append script answered {status} {MaxStaleRounds} times; the webhooks keep changing.");
            }
            var outcomes = Outcomes(events, result, now);
            Seen((long)result[1], (long)result[2]);
            storage.Wake();
            return outcomes;
        }
    }

    private RedisValue[] AppendArguments(IReadOnlyList<EventInput> events, long? expectedLastSeq, WebhookCache webhooks,
        DateTimeOffset now, long nowMs)
    {
        var pairs = new List<(string Webhook, int Index, string Delivery)>();
        for (var i = 0; i < events.Count; i++)
        {
            var input = events[i];
            string? delivery = null;
            foreach (var webhook in webhooks.Enabled)
            {
                if (webhook.Matches(input.TaskId, input.Type))
                {
                    // Task ids and types are plain ASCII by validation: nothing in them needs escaping.
                    delivery ??= $$"""{"task":"{{input.TaskId}}","type":"{{input.Type}}","attempts":0,"event_at":{{nowMs}},"lease":null,"lease_until":null,"json":null,"fb":false}""";
                    pairs.Add((webhook.Id, i + 1, delivery));
                }
            }
        }
        var values = new RedisValue[7 + events.Count * 7 + pairs.Count * 3];
        values[0] = storage.Prefix;
        values[1] = Volatile.Read(ref _highestSeen);
        values[2] = webhooks.Version;
        values[3] = nowMs;
        values[4] = expectedLastSeq is { } expected ? expected.ToString(CultureInfo.InvariantCulture) : "";
        values[5] = events.Count;
        values[6] = pairs.Count;
        var at = 7;
        foreach (var input in events)
        {
            var json = StoredEvent.Create(0, input, now).Json;
            values[at++] = input.TaskId;
            values[at++] = input.Type;
            values[at++] = input.IdempotencyKey ?? "";
            values[at++] = input.Status ?? "";
            values[at++] = input.Percent is { } percent ? percent.ToString("R", CultureInfo.InvariantCulture) : "";
            values[at++] = input.Message is { } message ? "=" + message : "";
            values[at++] = json[SeqZeroPrefix..];
        }
        foreach (var (webhook, index, delivery) in pairs)
        {
            values[at++] = webhook;
            values[at++] = index;
            values[at++] = delivery;
        }
        return values;
    }

    private static List<AppendOutcome> Outcomes(IReadOnlyList<EventInput> events, RedisResult[] result, DateTimeOffset now)
    {
        var outcomes = new List<AppendOutcome>(events.Count);
        var created = new Dictionary<long, HubEvent>();
        for (var i = 0; i < events.Count; i++)
        {
            var kind = (string)result[3 + i * 3]!;
            var seq = (long)result[4 + i * 3];
            switch (kind)
            {
                case "n":
                    var stored = StoredEvent.Create(seq, events[i], now);
                    created[seq] = stored;
                    outcomes.Add(new AppendOutcome(stored, Created: true));
                    break;
                case "d":
                    outcomes.Add(new AppendOutcome(created[seq], Created: false));
                    break;
                default:
                    outcomes.Add(new AppendOutcome(ParseEvent(seq, (byte[])result[5 + i * 3]!), Created: false));
                    break;
            }
        }
        return outcomes;
    }

    /// <summary>
    /// Runs the append script. With <see cref="RedisStorageOptions.WaitForReplicas"/>, the script and a <c>WAIT</c> go
    /// to one primary named explicitly, one right after the other on its connection, so the WAIT counts the replicas
    /// that have this write. (Through the database, a failover between the two could send the WAIT to the new primary,
    /// whose connection never wrote: it would confirm at once, and a write the old primary took with it would be
    /// acknowledged.) A refused WAIT, or too few replicas in time, is <see cref="ReplicationTimeoutException"/>.
    /// </summary>
    private async Task<RedisResult> EvaluateAppendAsync(RedisValue[] values)
    {
        var wanted = storage.Options.WaitForReplicas;
        if (wanted <= 0)
        {
            return await storage.Database.ScriptEvaluateAsync(RedisScripts.Append, null, values).ConfigureAwait(false);
        }
        var timeout = storage.Options.WaitTimeout;
        var server = storage.Primary();
        var arguments = new object[values.Length + 2];
        arguments[0] = s_appendSha;
        arguments[1] = 0; // no KEYS: the script builds its keys from the prefix
        values.CopyTo(arguments, 2);
        for (var loaded = false; ; loaded = true)
        {
            var script = server.ExecuteAsync("EVALSHA", arguments);
            var wait = server.ExecuteAsync("WAIT", wanted, (long)timeout.TotalMilliseconds);
            RedisResult result;
            try
            {
                result = await script.ConfigureAwait(false);
            }
            catch (RedisServerException exception) when (!loaded && exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // A primary that does not know the script yet (new, or promoted): load it, and send both again.
                await ObserveAsync(wait).ConfigureAwait(false);
                await server.ScriptLoadAsync(RedisScripts.Append).ConfigureAwait(false);
                continue;
            }
            catch
            {
                await ObserveAsync(wait).ConfigureAwait(false);
                throw;
            }
            if ((string?)((RedisResult[])result!)[0] != "OK")
            {
                await ObserveAsync(wait).ConfigureAwait(false);
                return result; // STALE or MOVED: nothing was written, so there is nothing to wait for
            }
            var confirmed = (long)await wait.ConfigureAwait(false);
            if (confirmed < wanted)
            {
                throw new ReplicationTimeoutException(wanted, confirmed, timeout);
            }
            return result;
        }
    }

    private static async Task ObserveAsync(Task<RedisResult> task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (RedisException)
        {
            // The command it followed failed first; that failure is the one reported.
        }
    }

    /// <summary>Moves this node's view of the log forward (never back: a failover that lost writes does not lower it).</summary>
    private void Seen(long head, long first)
    {
        InterlockedMax(ref _highestSeen, head);
        InterlockedMax(ref _head, head);
        Volatile.Write(ref _first, first);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Volatile.Read(ref location);
        while (value > current)
        {
            var previous = Interlocked.CompareExchange(ref location, value, current);
            if (previous == current)
            {
                return;
            }
            current = previous;
        }
    }

    /// <summary>The enabled webhooks and the version they were loaded at, read together by the webhook store.</summary>
    private async Task ReloadWebhooksAsync(CancellationToken cancellationToken)
    {
        var snapshot = await storage.WebhookStore.SnapshotAsync(reload: true, cancellationToken).ConfigureAwait(false);
        _webhooks = new WebhookCache(snapshot.Version, snapshot.Enabled);
    }

    private sealed record WebhookCache(string Version, IReadOnlyList<WebhookRecord> Enabled);
}
