using System.Text.Json.Nodes;
using PushHub.Cli;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Cli;

/// <summary><c>pushhub poll</c> and <c>pushhub tasks</c> against a live hub.</summary>
public sealed class QueryCommandTests : CliHubTest
{
    [Fact]
    public async Task Poll_prints_the_matching_events_and_the_cursor_for_the_next_poll()
    {
        await Hub.Client.PublishSeqAsync("build-1", "task.started");
        await Hub.Client.PublishSeqAsync("build-2", "task.started");
        await Hub.Client.PublishSeqAsync("build-1", "task.progress", new { percent = 20 });

        var result = await Cli.RunAsync("poll", "--task", "build-1", "--after", "0");
        var json = await Cli.RunAsync("poll", "--task", "build-1", "--type", "task.progress", "--after", "0", "--json");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Contains(result.Lines, line => line.Contains("│ 1 ") && line.Contains("build-1") && line.Contains("task.started"));
        Assert.Contains(result.Lines, line => line.Contains("│ 3 ") && line.Contains("""{"percent":20}"""));
        Assert.DoesNotContain("build-2", result.Output);
        Assert.Equal("last_seq 3", result.Lines[^1]);
        var page = JsonNode.Parse(json.Output)!;
        Assert.Equal(3, Assert.Single(page["events"]!.AsArray())!["seq"]!.GetValue<long>());
        Assert.Equal(3, page["last_seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task Poll_with_a_limit_out_of_range_is_refused_with_the_hubs_reason()
    {
        var result = await Cli.RunAsync("poll", "--limit", "5000");

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
        Assert.Contains("limit must be a whole number from 1 to 1000", result.Error);
    }

    [Fact]
    public async Task Tasks_lists_tasks_and_shows_one()
    {
        await Hub.Client.PublishSeqAsync("build-1", "task.progress", new { percent = 40, message = "Compiling" });
        await Hub.Client.PublishSeqAsync("build-2", "task.completed");

        var list = await Cli.RunAsync("tasks");
        var running = await Cli.RunAsync("tasks", "--status", "running");
        var one = await Cli.RunAsync("tasks", "build-2", "--json");

        Assert.True(list.ExitCode == ExitCodes.Ok, list.ToString());
        Assert.Contains(list.Lines, line => line.Contains("build-1") && line.Contains("running") && line.Contains("40%") && line.Contains("Compiling"));
        Assert.Contains(list.Lines, line => line.Contains("build-2") && line.Contains("completed") && line.Contains("100%"));
        Assert.DoesNotContain("build-2", running.Output);
        var task = JsonNode.Parse(one.Output)!;
        Assert.Equal("completed", task["status"]!.GetValue<string>());
        Assert.Equal(2, task["last_seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task Tasks_unknown_or_bad_status_are_refused_with_what_to_fix()
    {
        var unknown = await Cli.RunAsync("tasks", "nope-1");
        var status = await Cli.RunAsync("tasks", "--status", "sleeping");

        Assert.Equal(ExitCodes.Rejected, unknown.ExitCode);
        Assert.Contains("No task 'nope-1' is stored", unknown.Error);
        Assert.Equal(ExitCodes.Rejected, status.ExitCode);
        Assert.Contains("status must be one of created, queued, running", status.Error);
    }
}
