using Microsoft.Extensions.DependencyInjection;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Hub;

public sealed class LargeCommitTests
{
    [Fact]
    public async Task A_subscriber_that_keeps_up_stays_live_through_commits_of_many_full_batches()
    {
        using var factory = new HubFactory(); // default settings: the queue holds the largest group commit
        using var client = factory.CreateClient();
        var hub = factory.Services.GetRequiredService<EventHub>();
        using var subscription = hub.Subscribe(new EventFilter(["big"], null), after: null);
        var reader = subscription.ReadAllAsync().GetAsyncEnumerator();
        var first = reader.MoveNextAsync(); // joins the feed now

        // Five full batches at once: the writer folds them into as few commits as it can.
        var batch = "[" + string.Join(',', Enumerable.Repeat("""{"task_id":"big","type":"x"}""", 1000)) + "]";
        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsync("/events", HubClient.Json(batch))));
        Assert.All(responses, response => Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode));

        var received = new List<long>();
        Assert.True(await first);
        received.Add(reader.Current.Event!.Seq);
        while (received.Count < 5000 && await reader.MoveNextAsync())
        {
            received.Add(reader.Current.Event!.Seq);
        }
        await reader.DisposeAsync();

        Assert.Equal(0, factory.Services.GetRequiredService<SubscriberCounters>().CatchUps);
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => (long)i), received);
    }
}
