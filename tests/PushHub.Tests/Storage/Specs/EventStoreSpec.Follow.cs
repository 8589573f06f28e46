using PushHub.Hub;

namespace PushHub.Tests.Storage.Specs;

public abstract partial class EventStoreSpec
{
    [SpecFact]
    public async Task Following_from_zero_yields_the_stored_log_then_each_new_commit()
    {
        var stored = await AppendBatchAsync("a", 5);
        await using var follow = Events.FollowAsync(0, Timeout.Token).GetAsyncEnumerator();

        var backlog = await TakeAsync(follow, 5);
        var batch = await AppendBatchAsync("b", 3);
        var live = await TakeAsync(follow, 3);

        Assert.Equal(stored, backlog.Select(e => e.Seq));
        Assert.Equal(batch, live.Select(e => e.Seq));
        Assert.Equal("b", live[0].TaskId);
    }

    [SpecFact]
    public async Task Following_from_the_middle_starts_right_after_it()
    {
        await AppendBatchAsync("a", 6);
        await using var follow = Events.FollowAsync(4, Timeout.Token).GetAsyncEnumerator();

        var backlog = await TakeAsync(follow, 2);
        var next = await AppendAsync("a");

        Assert.Equal([5L, 6L], backlog.Select(e => e.Seq));
        Assert.Equal([next.Seq], (await TakeAsync(follow, 1)).Select(e => e.Seq));
    }

    [SpecFact]
    public async Task Following_live_yields_concurrent_commits_once_each_in_seq_order()
    {
        await AppendAsync("before");
        await using var follow = Events.FollowAsync(Events.HeadSeq, Timeout.Token).GetAsyncEnumerator();
        var first = follow.MoveNextAsync(); // joins now

        await Task.WhenAll(Enumerable.Range(0, 6).Select(p => Task.Run(async () =>
        {
            for (var n = 0; n < 20; n++)
            {
                _ = n % 4 == 3 ? await AppendBatchAsync($"t{p}", 4) : [(await AppendAsync($"t{p}")).Seq];
            }
        })));
        var expected = 6 * (15 + 5 * 4);
        Assert.True(await first);
        var received = new List<HubEvent>(follow.Current);
        received.AddRange(await TakeAsync(follow, expected - received.Count));

        Assert.Equal(Enumerable.Range(2, expected).Select(i => (long)i), received.Select(e => e.Seq));
        // The bytes are the stored ones.
        Assert.Equal((await ReadAllAsync(1)).Select(e => Text(e.Json)), received.Select(e => Text(e.Json)));
    }

    /// <summary>The next <paramref name="count"/> events the follower yields (batches are not split across calls here).</summary>
    private static async Task<List<HubEvent>> TakeAsync(IAsyncEnumerator<IReadOnlyList<HubEvent>> follow, int count)
    {
        var events = new List<HubEvent>();
        while (events.Count < count)
        {
            Assert.True(await follow.MoveNextAsync(), "the follower ended");
            Assert.NotEmpty(follow.Current);
            events.AddRange(follow.Current);
        }
        Assert.Equal(count, events.Count);
        return events;
    }
}
