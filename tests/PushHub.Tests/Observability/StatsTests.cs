using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Observability;

public sealed class StatsTests
{
    [Fact]
    public async Task Stats_show_sequence_bounds_connections_subscribers_and_the_publish_rate()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("a", "x");
        await client.PostAsync("/events", HubClient.Json("""[{"task_id":"a","type":"x"},{"task_id":"b","type":"x"}]"""));
        using var sse = await client.GetAsync("/events/sse?task=a", HttpCompletionOption.ResponseHeadersRead);
        var poll = client.PollAsync("after=3&task=b&wait=60");

        // The long-poll parks asynchronously, and commits are counted as the log follower hands them to the feed:
        // look until both are (bounded).
        var stats = await WaitForSubscribersAsync(client, "a", "b");
        for (var attempt = 0; stats["events_per_second"]!.AsArray().Sum(n => n!.GetValue<long>()) < 3; attempt++)
        {
            Assert.True(attempt < 1000, "the commits were never counted: " + stats.ToJsonString());
            await Task.Delay(10);
            stats = JsonNode.Parse(await client.GetStringAsync("/stats"))!;
        }

        Assert.Equal(3, stats["head_seq"]!.GetValue<long>());
        Assert.Equal(1, stats["first_seq"]!.GetValue<long>());
        Assert.Equal(1, stats["connections"]!["sse"]!.GetValue<long>());
        Assert.Equal(0, stats["connections"]!["websocket"]!.GetValue<long>());
        Assert.Equal(2, stats["subscribers"]!.GetValue<int>()); // the hub's own webhook dispatcher is not one
        Assert.Equal(1, stats["subscribers_by_task"]!["a"]!.GetValue<int>());
        Assert.Equal(1, stats["subscribers_by_task"]!["b"]!.GetValue<int>());
        Assert.Equal(300, stats["events_per_second"]!.AsArray().Count);
        Assert.Equal(3, stats["events_per_second"]!.AsArray().Sum(n => n!.GetValue<long>()));
        Assert.Equal(0, stats["dead_letters"]!.GetValue<long>());
        Assert.True(stats["open_mode"]!.GetValue<bool>());
        // The process's own figures, cumulative, for per-request costs and stalls (bench/request-cost.sh reads them).
        var runtime = stats["runtime"]!;
        Assert.True(runtime["cpu_ms"]!.GetValue<long>() > 0);
        Assert.True(runtime["allocated_bytes"]!.GetValue<long>() > 0);
        Assert.Equal(3, runtime["gc_counts"]!.AsArray().Count);
        Assert.True(runtime["thread_pool_threads"]!.GetValue<int>() > 0);

        await client.PublishSeqAsync("b", "x");
        await poll;
    }

    [Fact]
    public async Task Stats_name_only_the_tasks_the_caller_may_read()
    {
        using var hub = SecuredHub.Create();
        using var admin = hub.ClientWithKey(SecuredHub.AdminKey);
        var polls = new[] { admin.PollAsync("after=0&task=build-1&wait=60"), admin.PollAsync("after=0&task=deploy-1&wait=60") };
        using var subscriber = hub.ClientWithKey(SecuredHub.SubscriberKey);

        await WaitForSubscribersAsync(admin, "build-1", "deploy-1"); // both are listening; the admin sees both
        var stats = JsonNode.Parse(await subscriber.GetStringAsync("/stats"))!;

        Assert.Equal(["build-1"], stats["subscribers_by_task"]!.AsObject().Select(p => p.Key));
        Assert.False(stats["open_mode"]!.GetValue<bool>());
        using var anonymous = hub.CreateClient();
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/stats")).StatusCode);

        using var publisher = hub.ClientWithKey(SecuredHub.AdminKey);
        await publisher.PublishSeqAsync("build-1", "x");
        await publisher.PublishSeqAsync("deploy-1", "x");
        await Task.WhenAll(polls);
    }

    /// <summary>Reads /stats until each task has a listener (the stream and the long-poll register asynchronously; the
    /// webhook dispatcher is a listener of its own, so a total count is not enough).</summary>
    private static async Task<JsonNode> WaitForSubscribersAsync(HttpClient client, params string[] tasks)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stats = JsonNode.Parse(await client.GetStringAsync("/stats"))!;
            var byTask = stats["subscribers_by_task"]!.AsObject();
            if (tasks.All(task => byTask.ContainsKey(task)))
            {
                return stats;
            }
            Assert.True(attempt < 1000, $"listeners by task were {byTask.ToJsonString()}, expected {string.Join(", ", tasks)}");
            await Task.Delay(10);
        }
    }
}
