using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Events;

/// <summary>
/// The poll contract on a real Kestrel, run against both ways a poll is answered (<c>Hub:PollConnectionHandler</c>).
/// <see cref="LiveHub"/> sends polls on kept-alive connections that carry nothing else, as a polling client does.
/// </summary>
public abstract class PollSpec(bool connectionHandler)
    : LiveHubTest(new Dictionary<string, string?> { ["Hub:PollConnectionHandler"] = connectionHandler ? "true" : "false" })
{
    [Fact]
    public async Task Polls_come_from_the_configured_path_on_a_kept_alive_connection()
    {
        await Client.PublishSeqAsync("a", "task.started");
        for (var i = 0; i < 3; i++)
        {
            using var response = await Client.GetAsync("/events?after=0", Timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The handler answers with a length; the endpoint's answer is chunked. Neither closes the connection.
            Assert.Equal(connectionHandler, response.Content.Headers.NonValidated.Contains("Content-Length"));
            Assert.Equal(!connectionHandler, response.Headers.TransferEncodingChunked == true);
            Assert.NotEqual(true, response.Headers.ConnectionClose);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            Assert.Single(response.Headers.GetValues("X-Request-ID"));
        }
    }

    [Fact]
    public async Task Polls_page_by_last_seq_filter_by_task_and_type_and_say_when_truncated()
    {
        for (var i = 0; i < 4; i++)
        {
            await Client.PublishSeqAsync("a", "task.progress", new { percent = i });
            await Client.PublishSeqAsync("b", "task.started");
        }

        var first = await PollAsync("after=0&limit=3");
        var second = await PollAsync($"after={first.LastSeq}&limit=3&type=task.progress");
        var byTask = await PollAsync("after=0&task=b&task=zzz");

        Assert.Equal([1L, 2L, 3L], first.Seqs);
        Assert.Equal(3, first.LastSeq);
        Assert.Equal([5L, 7L], second.Seqs);
        Assert.Equal(8, second.LastSeq);
        Assert.Equal([2L, 4L, 6L, 8L], byTask.Seqs);

        // Retention keeps 5 events here: a poll from before the oldest one is told it missed some.
        await Hub.SweepAsync();
        var behind = await PollAsync("after=1");
        Assert.True(behind.Truncated);
        Assert.Equal([4L, 5L, 6L, 7L, 8L], behind.Seqs);
    }

    [Fact]
    public async Task A_parked_poll_answers_the_event_committed_while_it_waits_and_leaves_the_feed()
    {
        var head = await Client.PublishSeqAsync("warm-up", "x");
        var parked = PollAsync($"after={head}&task=a&wait=60");
        await WaitForSubscribersAsync(1);

        var seq = await Client.PublishSeqAsync("a", "task.started");

        var page = await parked;
        Assert.Equal([seq], page.Seqs);
        Assert.Equal(seq, page.LastSeq);
        Assert.Equal(0, Feed.GetStats().Total);
    }

    [Fact]
    public async Task A_poll_whose_wait_runs_out_answers_no_events_and_the_head()
    {
        var head = await Client.PublishSeqAsync("b", "x");
        var page = await PollAsync($"after={head}&task=a&wait=1");
        Assert.Empty(page.Events);
        Assert.Equal(head, page.LastSeq);
        Assert.False(page.Truncated);
    }

    [Fact]
    public async Task A_client_that_leaves_its_parked_poll_leaves_the_feed()
    {
        using (var leaving = new CancellationTokenSource())
        {
            var parked = Client.GetAsync("/events?after=0&task=a&wait=60", leaving.Token);
            await WaitForSubscribersAsync(1);
            await leaving.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => parked);
        }
        await LiveHub.EventuallyAsync(() => Feed.GetStats().Total == 0, Timeout.Token);
    }

    [Theory]
    [InlineData("wait=61", "wait")]
    [InlineData("limit=0", "limit")]
    [InlineData("after=x", "after")]
    [InlineData("bogus=1", "bogus")]
    public async Task A_poll_with_a_bad_query_gets_a_problem_naming_the_field(string query, string field)
    {
        using var response = await Client.GetAsync($"/events?{query}", Timeout.Token);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
        // Still usable: the next poll on the same client is answered (by the pipeline: the connection is Kestrel's now).
        Assert.Empty((await Client.PollAsync("after=0")).Events);
    }

    // Each answer asserted to come from the configured path (a connection that got a refusal is Kestrel's from then on).
    private async Task<PollPage> PollAsync(string query)
    {
        using var response = await Client.GetAsync("/events?" + query, Timeout.Token);
        var text = await response.Content.ReadAsStringAsync(Timeout.Token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal(connectionHandler, response.Content.Headers.NonValidated.Contains("Content-Length"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(text)!;
        return new PollPage(node["events"]!.AsArray().Select(e => e!.AsObject()).ToList(), node["last_seq"]!.GetValue<long>(), node["truncated"]!.GetValue<bool>());
    }

    private IEventFeed Feed => Hub.Factory.Services.GetRequiredService<IEventFeed>();

    private Task WaitForSubscribersAsync(int count) => LiveHub.EventuallyAsync(() => Feed.GetStats().Total >= count, Timeout.Token);
}

public sealed class PollOverConnectionHandlerTests() : PollSpec(connectionHandler: true);

public sealed class PollOverEndpointTests() : PollSpec(connectionHandler: false);
