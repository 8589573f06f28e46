using System.Text;
using PushHub.Hub;
using PushHub.Storage;
using PushHub.Storage.Redis;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage.Redis;

/// <summary>What the Redis provider promises beyond the spec suites: failover safety, replica waits and cluster leases.</summary>
public sealed class RedisProviderTests(RedisFixture redis) : IClassFixture<RedisFixture>, IAsyncLifetime
{
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";
    private readonly List<RedisStorage> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }

    private RedisStorage Node(int waitForReplicas = 0)
    {
        var node = RedisStorage.Connect(new RedisStorageOptions
        {
            Configuration = redis.Server.Configuration,
            KeyPrefix = _prefix,
            WaitForReplicas = waitForReplicas,
            WaitTimeout = TimeSpan.FromMilliseconds(50),
        });
        _nodes.Add(node);
        return node;
    }

    private static EventInput Input(string taskId, string? key = null) => new(taskId, "x", Encoding.UTF8.GetBytes("{}"), key);

    [RedisFact]
    public async Task After_a_failover_lost_acknowledged_writes_no_seq_is_handed_out_twice_and_a_reader_from_a_lost_seq_is_told()
    {
        var node = Node();
        var acknowledged = await node.Events.AppendAsync([Input("a"), Input("a"), Input("a"), Input("a"), Input("a")]);
        Assert.Equal(5, acknowledged[^1].Event.Seq);
        // A failover to a replica that never got the writes: the log's keys are gone as if they had never been.
        // (Tests of one class run one at a time, so wiping the whole server touches no other test.)
        Assert.Equal("+OK\r\n", await redis.Server.CommandAsync("FLUSHALL"));

        var next = (await node.Events.AppendAsync([Input("b")])).Single().Event;
        var fromLost = await node.Events.ReadPageAsync(new EventQuery(3, 100));
        var fromZero = await node.Events.ReadPageAsync(new EventQuery(0, 100));

        Assert.Equal(6, next.Seq); // past every seq this node acknowledged, never one of them again
        Assert.Equal([6L], fromLost.Events.Select(e => e.Seq));
        Assert.Equal(6, fromLost.ResetTo); // a poll says truncated: true
        Assert.Equal(6, fromZero.ResetTo);
    }

    [RedisFact]
    public async Task A_publish_that_replicas_do_not_confirm_is_refused_and_its_retry_with_the_same_key_stores_nothing_twice()
    {
        var node = Node(waitForReplicas: 1); // the test server has no replica: WAIT never gets one

        var refused = await Assert.ThrowsAsync<ReplicationTimeoutException>(() => node.Events.AppendAsync([Input("a", key: "k-1")]));
        var retry = await Assert.ThrowsAsync<ReplicationTimeoutException>(() => node.Events.AppendAsync([Input("a", key: "k-1")]));
        var stored = await node.Events.ReadPageAsync(new EventQuery(0, 100));

        Assert.Equal(1, refused.Wanted);
        Assert.Equal(0, retry.Confirmed);
        Assert.Equal([1L], stored.Events.Select(e => e.Seq));
    }

    [RedisFact]
    public async Task A_cluster_lease_is_held_by_one_node_until_it_releases_it()
    {
        var one = Node();
        var two = Node();
        var duration = TimeSpan.FromMinutes(1);

        Assert.True(await one.Leases.TryAcquireAsync("retention", duration));
        Assert.False(await two.Leases.TryAcquireAsync("retention", duration));
        Assert.True(await one.Leases.TryAcquireAsync("retention", duration)); // the holder renews
        await two.Leases.ReleaseAsync("retention"); // not the holder: no effect
        Assert.False(await two.Leases.TryAcquireAsync("retention", duration));
        await one.Leases.ReleaseAsync("retention");
        Assert.True(await two.Leases.TryAcquireAsync("retention", duration));
        Assert.NotEqual(one.Leases.NodeId, two.Leases.NodeId);
    }

    [RedisFact]
    public async Task A_follower_whose_wake_up_never_comes_still_gets_every_event_in_order()
    {
        var reader = Node();
        var writer = Node();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var follow = reader.Events.FollowAsync(0, timeout.Token).GetAsyncEnumerator();
        var first = follow.MoveNextAsync();
        // The reader's wake-up subscription dies silently (as in Centrifugo #1189)...
        await redis.Server.CommandAsync("CLIENT", "KILL", "TYPE", "pubsub");
        var written = await writer.Events.AppendAsync([Input("a"), Input("b")]);
        // ...and a commit arrives with no PUBLISH at all: only the follower's periodic read can find it.
        const string silent = """{"seq":3,"task_id":"c","type":"x","timestamp":"2026-11-23T10:00:00.000Z","data":{}}""";
        await redis.Server.CommandAsync("HSET", _prefix + "ev", "3", silent);
        await redis.Server.CommandAsync("ZADD", _prefix + "ix:all", "3", "3");
        await redis.Server.CommandAsync("SET", _prefix + "seq", "3");

        var received = new List<HubEvent>();
        Assert.True(await first);
        received.AddRange(follow.Current);
        while (received.Count < 3)
        {
            Assert.True(await follow.MoveNextAsync());
            received.AddRange(follow.Current);
        }

        Assert.Equal([.. written.Select(o => o.Event.Seq), 3L], received.Select(e => e.Seq));
        Assert.Equal(silent, Encoding.UTF8.GetString(received[2].Json.Span));
    }
}
