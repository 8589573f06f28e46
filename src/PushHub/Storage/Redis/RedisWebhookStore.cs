using StackExchange.Redis;

namespace PushHub.Storage.Redis;

/// <summary>
/// Webhooks, their outbox, the attempt log and dead letters in Redis, in the agreed key layout (P = the key prefix):
/// <c>P"wh"</c> and its version counter <c>P"wh:ver"</c>, per webhook the zset <c>P"ob:"id</c> (seq → due ms) and
/// hash <c>P"obd:"id</c> (seq → delivery JSON), the list <c>P"att:"id</c>, and the dead letters <c>P"dl"</c>,
/// <c>P"dl:id"</c>, <c>P"dl:w:"id</c>. Every multi-key write is one Lua script (<see cref="RedisWebhookScripts"/>)
/// whose reads and refusing checks come before its first write. Times are the store's clock, never Redis TIME.
/// </summary>
/// <remarks>
/// A delivery is keyed by its seq within its webhook, so <see cref="ClaimedDelivery.Id"/> is the seq, and a webhook
/// holds at most one pending delivery of an event: a replay or a hand-over of an event already pending there replaces
/// it (same <c>webhook-id</c>; the replaced claim can no longer resolve it). Scripts that depend on what the
/// webhooks are (enabled, coalescing, fallback) take the facts from a cache tagged with the <c>P"wh:ver"</c> value it
/// was loaded at and refuse with STALE when the version moved; the store then reloads and runs them again, so a
/// change on any node is seen by the next claim.
/// </remarks>
internal sealed partial class RedisWebhookStore(IDatabase database, string prefix, TimeProvider time, string nodeId) : IWebhookStore
{
    private volatile WebhookSnapshot? _snapshot;

    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task<WebhookRecord> CreateAsync(WebhookRecord webhook, CancellationToken cancellationToken = default)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
        var stored = webhook with { CreatedAt = now, UpdatedAt = now };
        var reply = await EvalAsync(RedisWebhookScripts.Create, webhook.Id, RedisOutboxJson.Serialize(stored)).ConfigureAwait(false);
        if ((string?)reply[0] == "EXISTS")
        {
            throw new InvalidOperationException($"A webhook with id {webhook.Id} is stored already.");
        }
        return stored;
    }

    public async Task<WebhookRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        var json = await database.HashGetAsync(prefix + "wh", id).WaitAsync(cancellationToken).ConfigureAwait(false);
        return json.IsNull ? null : RedisOutboxJson.Webhook(json.ToString());
    }

    public async Task<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken cancellationToken = default) =>
        (await ReloadAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).All;

    public async Task<IReadOnlyList<WebhookRecord>> ListEnabledAsync(CancellationToken cancellationToken = default) =>
        (await CurrentSnapshotAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Enabled;

    /// <summary>
    /// The enabled webhooks with the <c>P"wh:ver"</c> value they were loaded at, for the append step: it passes the
    /// version to its script, which refuses with STALE when it moved; call again with <paramref name="reload"/> then.
    /// </summary>
    public async Task<WebhookSnapshot> SnapshotAsync(bool reload, CancellationToken cancellationToken = default) =>
        !reload && _snapshot is { } cached ? cached : await ReloadAsync().ConfigureAwait(false);

    public async Task<WebhookRecord?> UpdateAsync(string id, Func<WebhookRecord, WebhookRecord?> change, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var json = await database.HashGetAsync(prefix + "wh", id).ConfigureAwait(false);
            if (json.IsNull)
            {
                return null;
            }
            var current = RedisOutboxJson.Webhook(json.ToString());
            if (change(current) is not { } changed)
            {
                return current;
            }
            var updated = changed with { Id = current.Id, CreatedAt = current.CreatedAt, UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(NowMs) };
            var disabling = current.Enabled && !updated.Enabled;
            // Compare-and-set on the JSON read: a change made meanwhile (on any node) sends this one round again.
            var reply = await EvalAsync(RedisWebhookScripts.Update, id, json.ToString(), RedisOutboxJson.Serialize(updated), disabling ? "1" : "0")
                .ConfigureAwait(false);
            if ((string?)reply[0] == "OK")
            {
                return updated;
            }
        }
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var reply = await EvalAsync(RedisWebhookScripts.Delete, id).ConfigureAwait(false);
        return (long)reply[1] == 1;
    }

    public async Task<WebhookCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        var (snapshot, reply) = await WithSnapshotAsync(s => EvalAsync(RedisWebhookScripts.Stats, [s.Version, "count"])).ConfigureAwait(false);
        return new WebhookCounts(snapshot.Enabled.Count, (long)reply[1], (long)reply[2]);
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default)
    {
        var (_, reply) = await WithSnapshotAsync(s =>
            EvalAsync(RedisWebhookScripts.Stats, [s.Version, "next", .. s.Enabled.Select(w => (RedisValue)w.Id)])).ConfigureAwait(false);
        var next = (long)reply[1];
        return next < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(next);
    }

    /// <summary>Runs <paramref name="script"/> on the cached webhooks; when it answers STALE, reloads them and runs it again.</summary>
    private async Task<(WebhookSnapshot Snapshot, RedisResult[] Reply)> WithSnapshotAsync(Func<WebhookSnapshot, Task<RedisResult[]>> script)
    {
        var snapshot = await CurrentSnapshotAsync().ConfigureAwait(false);
        while (true)
        {
            var reply = await script(snapshot).ConfigureAwait(false);
            if ((string?)reply[0] != "STALE")
            {
                return (snapshot, reply);
            }
            snapshot = await ReloadAsync().ConfigureAwait(false);
        }
    }

    private async Task<WebhookSnapshot> CurrentSnapshotAsync()
    {
        // One GET tells whether the cache still holds: a change on any node moves the version.
        var version = (string?)await database.StringGetAsync(prefix + "wh:ver").ConfigureAwait(false) ?? "0";
        return _snapshot is { } cached && cached.Version == version ? cached : await ReloadAsync().ConfigureAwait(false);
    }

    private async Task<WebhookSnapshot> ReloadAsync()
    {
        var reply = await EvalAsync(RedisWebhookScripts.Load).ConfigureAwait(false);
        var fields = (RedisResult[])reply[1]!;
        var all = new List<WebhookRecord>(fields.Length / 2);
        for (var i = 1; i < fields.Length; i += 2)
        {
            all.Add(RedisOutboxJson.Webhook((string)fields[i]!));
        }
        // Newest first, as the SQLite provider lists them.
        all.Sort((a, b) => a.CreatedAt != b.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : string.CompareOrdinal(b.Id, a.Id));
        var snapshot = new WebhookSnapshot((string)reply[0]!, all, all.Where(w => w.Enabled).ToList());
        _snapshot = snapshot;
        return snapshot;
    }

    private async Task<RedisResult[]> EvalAsync(string script, params RedisValue[] arguments)
    {
        var result = await database.ScriptEvaluateAsync(script, values: [prefix, .. arguments]).ConfigureAwait(false);
        return (RedisResult[])result!;
    }
}

/// <summary>The webhooks as loaded at one <c>P"wh:ver"</c> value: all of them newest first, and the enabled ones.</summary>
internal sealed record WebhookSnapshot(string Version, IReadOnlyList<WebhookRecord> All, IReadOnlyList<WebhookRecord> Enabled)
{
    public WebhookRecord? Find(string id) => All.FirstOrDefault(w => w.Id == id);
}
