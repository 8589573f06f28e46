using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tasks;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Tasks;

public sealed class TaskTests
{
    [Fact]
    public async Task Task_state_follows_its_events()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("build-1", "task.created");
        Assert.Equal("created", await StatusAsync(client, "build-1"));
        await client.PublishSeqAsync("build-1", "task.queued");
        Assert.Equal("queued", await StatusAsync(client, "build-1"));
        await client.PublishSeqAsync("build-1", "task.progress", new { percent = 40, message = "Compiling" });
        await client.PublishSeqAsync("build-1", "custom.note", new { text = "no state change" });

        var task = JsonNode.Parse(await client.GetStringAsync("/tasks/build-1"))!;
        Assert.Equal("running", task["status"]!.GetValue<string>());
        Assert.Equal(40, task["percent"]!.GetValue<double>());
        Assert.Equal("Compiling", task["message"]!.GetValue<string>());
        Assert.Equal(4, task["last_seq"]!.GetValue<long>());
        Assert.Equal(4, task["event_count"]!.GetValue<long>());
        Assert.Matches(@"Z$", task["updated_at"]!.GetValue<string>());

        await client.PublishSeqAsync("build-1", "task.completed");
        task = JsonNode.Parse(await client.GetStringAsync("/tasks/build-1"))!;
        Assert.Equal("completed", task["status"]!.GetValue<string>());
        Assert.Equal(100, task["percent"]!.GetValue<double>());

        foreach (var (type, status) in new[] { ("task.failed", "failed"), ("task.cancelled", "cancelled"), ("task.heartbeat", "running"), ("task.checkpoint", "running"), ("task.started", "running") })
        {
            await client.PublishSeqAsync("other", type);
            Assert.Equal(status, await StatusAsync(client, "other"));
        }
    }

    [Fact]
    public async Task Task_list_is_newest_first_and_filters_by_status()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("a", "task.started");
        await client.PublishSeqAsync("b", "task.completed");
        await client.PublishSeqAsync("c", "task.started");

        var all = JsonNode.Parse(await client.GetStringAsync("/tasks"))!["tasks"]!.AsArray().Select(t => t!["task_id"]!.GetValue<string>());
        var running = JsonNode.Parse(await client.GetStringAsync("/tasks?status=running&limit=1"))!["tasks"]!.AsArray().Select(t => t!["task_id"]!.GetValue<string>());

        Assert.Equal(["c", "b", "a"], all);
        Assert.Equal(["c"], running);
    }

    [Theory]
    [InlineData("/tasks?status=done", "status")]
    [InlineData("/tasks?limit=0", "limit")]
    [InlineData("/tasks?limit=1001", "limit")]
    [InlineData("/tasks/a..b%2F", "id")]
    public async Task Bad_task_queries_are_400(string url, string field)
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
    }

    [Fact]
    public async Task Unknown_task_is_a_404_problem()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var response = await client.GetAsync("/tasks/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await response.ReadProblemAsync();
    }

    [Fact]
    public async Task A_running_task_silent_past_StuckAfter_gets_task_stuck_once()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z"));
        using var hub = new HubFactory(new Dictionary<string, string?>
        {
            ["Tasks:StuckAfter"] = "00:10:00",
            ["Tasks:StuckCheckInterval"] = "1.00:00:00", // the test scans by hand
        }, time);
        using var client = hub.CreateClient();
        var monitor = hub.Services.GetRequiredService<StuckTaskMonitor>();
        await client.PublishSeqAsync("silent", "task.started");
        await client.PublishSeqAsync("done", "task.completed");
        time.Advance(TimeSpan.FromMinutes(9));
        await client.PublishSeqAsync("busy", "task.progress", new { percent = 10 });

        Assert.Empty(await monitor.ScanAsync());
        time.Advance(TimeSpan.FromMinutes(2));
        var stuck = await monitor.ScanAsync();
        var again = await monitor.ScanAsync();

        Assert.Equal(["silent"], stuck.Select(e => e.TaskId));
        Assert.Empty(again);
        Assert.Equal("stuck", await StatusAsync(client, "silent"));
        Assert.Equal("running", await StatusAsync(client, "busy"));
        var stuckEvent = (await client.PollAsync("after=0&type=task.stuck")).Events.Single();
        Assert.Equal(660, stuckEvent["data"]!["silent_seconds"]!.GetValue<long>());

        // A task that speaks again is running again.
        await client.PublishSeqAsync("silent", "task.heartbeat");
        Assert.Equal("running", await StatusAsync(client, "silent"));
    }

    private static async Task<string> StatusAsync(HttpClient client, string id) =>
        JsonNode.Parse(await client.GetStringAsync($"/tasks/{id}"))!["status"]!.GetValue<string>();
}
