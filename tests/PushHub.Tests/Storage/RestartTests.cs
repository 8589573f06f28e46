using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restart_keeps_every_event_and_the_task_projection_and_continues_the_sequence()
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            string before;
            using (var hub = new HubFactory(dataDirectory: directory))
            {
                using var client = hub.CreateClient();
                for (var i = 0; i < 30; i++)
                {
                    await client.PublishSeqAsync($"t{i % 4}", "task.progress", new { percent = i });
                }
                before = await client.GetStringAsync("/events?after=0&limit=1000");
            }

            using var restarted = new HubFactory(dataDirectory: directory);
            using var again = restarted.CreateClient();
            Assert.Equal(before, await again.GetStringAsync("/events?after=0&limit=1000"));
            Assert.Equal(31, await again.PublishSeqAsync("t0", "task.completed"));
            var task = System.Text.Json.Nodes.JsonNode.Parse(await again.GetStringAsync("/tasks/t0"))!;
            Assert.Equal(9, task["event_count"]!.GetValue<long>());
            Assert.Equal("completed", task["status"]!.GetValue<string>());
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }

    [Fact]
    public async Task A_second_hub_on_the_same_database_refuses_to_start()
    {
        using var first = new HubFactory();
        using var client = first.CreateClient();
        await client.PublishSeqAsync("t", "x");

        using var second = new HubFactory(dataDirectory: first.DataDirectory);
        var error = Assert.ThrowsAny<Exception>(() => second.CreateClient());
        Assert.Contains("Another PushHub is already using", error.ToString(), StringComparison.Ordinal);
    }
}
