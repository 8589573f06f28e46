using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Hub;

public sealed class SubscriptionTests : IDisposable
{
    private readonly HubFactory _factory = new(new Dictionary<string, string?> { ["Hub:SubscriberQueueCapacity"] = "16" });
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
    public async Task A_subscriber_that_stops_reading_is_dropped_while_others_get_everything()
    {
        using var stalled = _hub.Subscribe(EventFilter.All, after: null);
        var stalledReader = stalled.ReadAllAsync().GetAsyncEnumerator();
        var first = stalledReader.MoveNextAsync(); // registers, then never reads again
        using var healthy = _hub.Subscribe(EventFilter.All, after: 0);
        var received = new List<long>();
        var reading = Task.Run(async () =>
        {
            await foreach (var item in healthy.ReadAllAsync())
            {
                received.Add(item.Event!.Seq);
                if (received.Count == 100)
                {
                    return;
                }
            }
        });

        for (var i = 0; i < 100; i++)
        {
            await _client.PublishSeqAsync("a", "x");
        }
        await reading;

        Assert.True(stalled.Overflowed.IsCancellationRequested || await WaitAsync(stalled.Overflowed));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), received);
        await first;
        await Assert.ThrowsAsync<SlowSubscriberException>(async () =>
        {
            while (await stalledReader.MoveNextAsync())
            {
            }
        });
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

    private static async Task<bool> WaitAsync(CancellationToken token)
    {
        var done = new TaskCompletionSource();
        using (token.Register(() => done.TrySetResult()))
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        return true;
    }
}
