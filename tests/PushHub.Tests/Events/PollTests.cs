using System.Net;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Events;

public sealed class PollTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly HttpClient _client;

    public PollTests() => _client = _hub.CreateClient();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Poll_pages_through_events_by_last_seq()
    {
        for (var i = 0; i < 25; i++)
        {
            await _client.PublishSeqAsync("t", "x", new { i });
        }

        var first = await _client.PollAsync("after=0&limit=10");
        var second = await _client.PollAsync($"after={first.LastSeq}&limit=10");
        var third = await _client.PollAsync($"after={second.LastSeq}&limit=10");

        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), first.Seqs);
        Assert.Equal(10, first.LastSeq);
        Assert.Equal(Enumerable.Range(11, 10).Select(i => (long)i), second.Seqs);
        Assert.Equal(Enumerable.Range(21, 5).Select(i => (long)i), third.Seqs);
        Assert.Equal(25, third.LastSeq);
        Assert.False(third.Truncated);
    }

    [Fact]
    public async Task Filtered_poll_returns_only_matches_and_still_advances_to_head()
    {
        await _client.PublishSeqAsync("a", "task.started");
        await _client.PublishSeqAsync("b", "task.started");
        await _client.PublishSeqAsync("a", "task.progress", new { percent = 5 });
        await _client.PublishSeqAsync("c", "task.progress", new { percent = 5 });
        await _client.PublishSeqAsync("d", "task.started");

        var byTask = await _client.PollAsync("after=0&task=a&task=c");
        var byType = await _client.PollAsync("after=0&type=task.progress");
        var none = await _client.PollAsync("after=0&task=zzz");

        Assert.Equal([1L, 3L, 4L], byTask.Seqs);
        Assert.Equal(5, byTask.LastSeq);
        Assert.Equal([3L, 4L], byType.Seqs);
        Assert.Empty(none.Events);
        Assert.Equal(5, none.LastSeq);
    }

    [Fact]
    public async Task Long_poll_returns_the_event_committed_while_it_waits()
    {
        await _client.PublishSeqAsync("t", "x");
        var poll = _client.PollAsync("after=1&task=t&wait=60");
        // A non-matching event must not wake it with an empty answer.
        await _client.PublishSeqAsync("other", "x");
        var seq = await _client.PublishSeqAsync("t", "x");

        var page = await poll;
        Assert.Equal([seq], page.Seqs);
    }

    [Fact]
    public async Task Long_poll_that_times_out_answers_empty_with_the_head()
    {
        // The wait is on the hub's clock: a fake one, moved past the wait once the poll is parked.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var hub = new HubFactory(time: time);
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("other", "x");
        var poll = client.PollAsync("after=0&task=quiet&wait=60");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/stats"))!["subscribers"]!.GetValue<int>() < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the parked poll");
            Assert.False(poll.IsCompleted, "the poll answered before its wait was up");
            await Task.Delay(10);
        }
        time.Advance(TimeSpan.FromSeconds(60));

        var page = await poll;
        Assert.Empty(page.Events);
        Assert.Equal(1, page.LastSeq);
    }

    [Fact]
    public async Task Many_parked_long_polls_all_wake_for_one_event()
    {
        var polls = Enumerable.Range(0, 50).Select(_ => _client.PollAsync("after=0&wait=60")).ToList();
        var seq = await _client.PublishSeqAsync("t", "x");
        foreach (var page in await Task.WhenAll(polls))
        {
            Assert.Equal([seq], page.Seqs);
        }
    }

    [Fact]
    public async Task A_poll_woken_by_a_batch_answers_its_matching_events_a_page_at_a_time_without_gap_or_duplicate()
    {
        var head = await _client.PublishSeqAsync("warm-up", "x");
        var parked = _client.PollAsync($"after={head}&task=a&limit=2&wait=60");
        await WaitForSubscribersAsync(1);

        var body = HubClient.Json("""[{"task_id":"a","type":"x"},{"task_id":"b","type":"x"},{"task_id":"a","type":"y"},{"task_id":"a","type":"z"}]""");
        using (var publish = await _client.PostAsync("/events", body))
        {
            Assert.Equal(HttpStatusCode.Accepted, publish.StatusCode);
        }

        var first = await parked;
        Assert.Equal([head + 1, head + 3], first.Seqs);
        Assert.Equal(head + 3, first.LastSeq);
        Assert.Equal(["x", "y"], first.Events.Select(e => e["type"]!.GetValue<string>()));
        var rest = await _client.PollAsync($"after={first.LastSeq}&task=a&limit=2");
        Assert.Equal([head + 4], rest.Seqs);
        // The woken poll left the feed: no listener is left behind.
        Assert.Equal(0, await SubscribersAsync());
    }

    private async Task<int> SubscribersAsync() =>
        System.Text.Json.Nodes.JsonNode.Parse(await _client.GetStringAsync("/stats"))!["subscribers"]!.GetValue<int>();

    private async Task WaitForSubscribersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await SubscribersAsync() < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {count} parked polls");
            await Task.Delay(10);
        }
    }

    [Theory]
    [InlineData("after=-1", "after")]
    [InlineData("after=abc", "after")]
    [InlineData("after=1&after=2", "after")]
    [InlineData("after=99999999999999999999", "after")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=1.5", "limit")]
    [InlineData("wait=61", "wait")]
    [InlineData("wait=-1", "wait")]
    [InlineData("task=a/b", "task")]
    [InlineData("task=", "task")]
    [InlineData("type=A.B", "type")]
    [InlineData("tasks=a", "tasks")]
    public async Task Out_of_range_query_is_a_400_naming_the_parameter(string query, string field)
    {
        using var response = await _client.GetAsync("/events?" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.NotNull(problem["errors"]![field]);
    }
}
