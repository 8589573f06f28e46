using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Hub;

public sealed class SubscriptionTests : IDisposable
{
    private readonly HubFactory _factory = new(new Dictionary<string, string?> { ["Hub:SubscriberQueueBytes"] = "65536" });
    private readonly HttpClient _client;
    private readonly EventHub _hub;

    public SubscriptionTests()
    {
        _client = _factory.CreateClient();
        _hub = _factory.Services.GetRequiredService<EventHub>();
    }

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Replay_then_live_has_no_gap_and_no_duplicate_while_publishing_goes_on()
    {
        for (var i = 0; i < 300; i++)
        {
            await _client.PublishSeqAsync(i % 2 == 0 ? "a" : "b", "x");
        }
        // Publishing goes on while the subscriber replays a backlog far larger than its queue.
        var publishing = Task.Run(async () =>
        {
            using var client = _factory.CreateClient();
            for (var i = 0; i < 300; i++)
            {
                await client.PublishSeqAsync(i % 2 == 0 ? "a" : "b", "x");
            }
        });

        using var subscription = _hub.Subscribe(new EventFilter(["a"], null), after: 10);
        var received = new List<long>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var item in subscription.ReadAllAsync(timeout.Token))
        {
            Assert.False(item.IsReset);
            Assert.Equal("a", item.Event!.TaskId);
            received.Add(item.Event.Seq);
            if (received.Count == 295)
            {
                break;
            }
        }
        await publishing;

        var expected = (await _client.PollAllAsync(10, "&task=a")).Select(e => e["seq"]!.GetValue<long>());
        Assert.Equal(expected, received);
    }

    [Fact]
    public async Task Live_only_subscription_starts_after_the_head()
    {
        await _client.PublishSeqAsync("a", "x");
        using var subscription = _hub.Subscribe(EventFilter.All, after: null);
        var reading = subscription.ReadAllAsync().GetAsyncEnumerator();
        var next = reading.MoveNextAsync();
        var seq = await _client.PublishSeqAsync("a", "x");

        Assert.True(await next);
        Assert.Equal(seq, reading.Current.Event!.Seq);
        await reading.DisposeAsync();
    }

    [Fact]
    public async Task A_subscriber_that_pauses_while_far_more_than_its_queue_is_published_then_reads_gets_everything_in_order()
    {
        using var paused = _hub.Subscribe(EventFilter.All, after: null);
        var reader = paused.ReadAllAsync().GetAsyncEnumerator();
        var first = reader.MoveNextAsync(); // joins the feed, then reads nothing while 20 times its queue's bytes are published
        var published = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            published.AddRange(await _client.PublishBatchAsync(i % 2 == 0 ? "a" : "b", 16, "x", new System.Text.Json.Nodes.JsonObject { ["pad"] = new string('p', 2048) }));
        }

        var received = new List<long>();
        Assert.True(await first);
        received.Add(reader.Current.Event!.Seq);
        while (received.Count < published.Count && await reader.MoveNextAsync())
        {
            received.Add(reader.Current.Event!.Seq);
        }
        await reader.DisposeAsync();

        Assert.Equal(published, received);
        Assert.True(_factory.Services.GetRequiredService<SubscriberCounters>().CatchUps > 0, "the paused reader never fell back to the store");
    }

    [Fact]
    public async Task A_task_followed_later_has_its_backlog_merged_into_one_seq_order()
    {
        using var subscription = _hub.Subscribe(new EventFilter(["a"], null), after: 0);
        var published = new List<(long Seq, string Task)>();
        async Task PublishAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var task = (i % 3) switch { 0 => "a", 1 => "b", _ => "c" };
                published.Add((await _client.PublishSeqAsync(task, "x"), task));
            }
        }
        await PublishAsync(30);
        var reader = subscription.ReadAllAsync().GetAsyncEnumerator();
        var items = new List<SubscriptionItem>();
        while (items.Count < 3)
        {
            Assert.True(await reader.MoveNextAsync());
            items.Add(reader.Current);
        }
        // b from seq 5 (behind the cursor: it starts at what the connection has delivered), c from seq 20.
        var fromB = subscription.Follow("b", 5);
        var fromC = subscription.Follow("c", 20);
        await PublishAsync(30);
        var marker = await _client.PublishSeqAsync("a", "x");
        published.Add((marker, "a"));
        while (items.LastOrDefault(i => i.Event is not null).Event?.Seq != marker)
        {
            Assert.True(await reader.MoveNextAsync());
            items.Add(reader.Current);
        }
        await reader.DisposeAsync();

        var starts = new Dictionary<string, long> { ["a"] = 0, ["b"] = await fromB, ["c"] = await fromC };
        // Each start is max(after, the last seq delivered before the follow took effect), as its Followed item says.
        long DeliveredBefore(string task) =>
            items.TakeWhile(i => !(i.Kind == SubscriptionItemKind.Followed && i.TaskId == task)).LastOrDefault(i => i.Event is not null).Event?.Seq ?? 0;
        Assert.Equal(Math.Max(5, DeliveredBefore("b")), starts["b"]);
        Assert.Equal(Math.Max(20, DeliveredBefore("c")), starts["c"]);
        Assert.Equal(starts["b"], items.Single(i => i.Kind == SubscriptionItemKind.Followed && i.TaskId == "b").Seq);
        var expected = published.Where(e => e.Seq > starts[e.Task]).Select(e => e.Seq).Order();
        Assert.Equal(expected, items.Where(i => i.Event is not null).Select(i => i.Event!.Seq));
    }

    [Fact]
    public async Task A_resume_point_older_than_retention_gets_a_reset_first()
    {
        using var factory = new HubFactory(new Dictionary<string, string?> { ["Retention:MaxEvents"] = "5" });
        using var client = factory.CreateClient();
        for (var i = 0; i < 12; i++)
        {
            await client.PublishSeqAsync("a", "x");
        }
        await factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<PushHub.Storage.RetentionService>().Single().SweepAsync();
        var hub = factory.Services.GetRequiredService<EventHub>();

        using var subscription = hub.Subscribe(EventFilter.All, after: 2);
        var items = new List<SubscriptionItem>();
        await foreach (var item in subscription.ReadAllAsync())
        {
            items.Add(item);
            if (items.Count == 6)
            {
                break;
            }
        }

        Assert.True(items[0].IsReset);
        Assert.Equal(8, items[0].FirstSeq);
        Assert.Equal([8L, 9L, 10L, 11L, 12L], items.Skip(1).Select(i => i.Event!.Seq));
    }
}
