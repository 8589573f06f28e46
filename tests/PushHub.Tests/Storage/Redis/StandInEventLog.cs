using System.Globalization;
using System.Text;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Storage.Redis;
using StackExchange.Redis;

namespace PushHub.Tests.Storage.Redis;

/// <summary>
/// TEMPORARY, until redis-log's RedisPollingStore lands: just enough of the Redis event log (append with its outbox
/// step in the agreed key layout, and a plain prune) for the webhook store's spec suite to run against a real Redis.
/// </summary>
internal sealed class StandInEventLog(IDatabase database, string prefix, TimeProvider time, RedisWebhookStore webhooks) : IPollingStore
{
    private const string AppendScript = """
        local p, version, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
        if (redis.call('GET', p .. 'wh:ver') or '0') ~= version then return {'STALE'} end
        local seqs = {}
        for i = 0, count - 1 do
          local task, type, ms, ts, data = ARGV[4 + i * 5], ARGV[5 + i * 5], ARGV[6 + i * 5], ARGV[7 + i * 5], ARGV[8 + i * 5]
          local seq = redis.call('INCR', p .. 'seq')
          redis.call('HSET', p .. 'ev', seq, '{"seq":' .. seq .. ',"task_id":"' .. task .. '","type":"' .. type ..
            '","timestamp":"' .. ts .. '","data":' .. data .. '}')
          redis.call('ZADD', p .. 'ix:all', seq, seq)
          seqs[#seqs + 1] = seq
        end
        for i = 4 + count * 5, #ARGV, 2 do
          local id, index = ARGV[i], tonumber(ARGV[i + 1])
          local task, type, ms = ARGV[4 + index * 5], ARGV[5 + index * 5], tonumber(ARGV[6 + index * 5])
          redis.call('ZADD', p .. 'ob:' .. id, ms, seqs[index + 1])
          redis.call('HSET', p .. 'obd:' .. id, seqs[index + 1], cjson.encode({task = task, type = type, attempts = 0,
            event_at = ms, lease = cjson.null, lease_until = cjson.null, json = cjson.null, fb = false}))
        end
        return {'OK', unpack(seqs)}
        """;

    public long HeadSeq => (long)database.StringGet(prefix + "seq");

    public long FirstSeq => throw new NotSupportedException();

    public async Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        now = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        var reload = false;
        while (true)
        {
            var snapshot = await webhooks.SnapshotAsync(reload, cancellationToken);
            var arguments = new List<RedisValue> { prefix, snapshot.Version, events.Count };
            foreach (var input in events)
            {
                arguments.AddRange([input.TaskId, input.Type, now.ToUnixTimeMilliseconds(), StoredEvent.FormatTimestamp(now), Encoding.UTF8.GetString(input.Data.Span)]);
            }
            for (var i = 0; i < events.Count; i++)
            {
                foreach (var webhook in snapshot.Enabled.Where(w => w.Matches(events[i].TaskId, events[i].Type)))
                {
                    arguments.AddRange([webhook.Id, i]);
                }
            }
            var reply = (RedisResult[])(await database.ScriptEvaluateAsync(AppendScript, values: arguments.ToArray()))!;
            if ((string?)reply[0] == "STALE")
            {
                reload = true;
                continue;
            }
            return events.Select((input, i) => new AppendOutcome(StoredEvent.Create((long)reply[i + 1], input, now), true)).ToList();
        }
    }

    public async Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        var head = HeadSeq;
        long removed = 0;
        for (var seq = 1L; seq <= head - maxEvents; seq++)
        {
            if (await database.HashDeleteAsync(prefix + "ev", seq.ToString(CultureInfo.InvariantCulture)))
            {
                await database.SortedSetRemoveAsync(prefix + "ix:all", seq);
                removed++;
            }
        }
        return removed;
    }

    public Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<EventPage> ReadPageAsync(EventQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public IAsyncEnumerable<IReadOnlyList<HubEvent>> FollowAsync(long after, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task CheckWritableAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
