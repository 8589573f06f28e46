using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PushHub.Cli;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Cli;

/// <summary><c>pushhub publish</c> against a live hub: what is stored, what is printed, and how bad input is refused.</summary>
public sealed class PublishCommandTests : CliHubTest
{
    [Fact]
    public async Task Publish_stores_the_event_with_percent_message_and_data_and_prints_its_seq()
    {
        var result = await Cli.RunAsync("publish", "build-17", "task.progress", "--percent", "50", "--message", "Compiling", "--data", """{"step":"compile"}""");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal("published seq 1: build-17 task.progress", Assert.Single(result.Lines));
        var stored = (await PollAsync())[0]!;
        Assert.Equal("""{"step":"compile","percent":50,"message":"Compiling"}""", stored["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Publish_json_prints_the_hubs_event_and_an_idempotent_retry_returns_the_same_seq()
    {
        var first = await Cli.RunAsync("publish", "build-1", "task.started", "--idempotency-key", "k-1", "--json");
        var retry = await Cli.RunAsync("publish", "build-1", "task.started", "--idempotency-key", "k-1");

        Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        var published = JsonNode.Parse(first.Output)!;
        Assert.Equal("build-1", published["task_id"]!.GetValue<string>());
        Assert.Equal("already published as seq 1: build-1 task.started", Assert.Single(retry.Lines));
        Assert.Single(await PollAsync());
    }

    [Fact]
    public async Task Publish_file_from_standard_input_stores_the_batch()
    {
        var cli = new CliRunner
        {
            Input = """[{"task_id":"deploy-3","type":"task.queued"},{"task_id":"deploy-3","type":"task.started"}]""",
            Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() },
        };

        var result = await cli.RunAsync("publish", "--file", "-");

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal(["published seq 1: deploy-3 task.queued", "published seq 2: deploy-3 task.started"], result.Lines);
        Assert.Equal(2, (await PollAsync()).Count);
    }

    [Fact]
    public async Task Publish_refused_by_the_hub_says_what_to_fix_and_stores_nothing()
    {
        var result = await Cli.RunAsync("publish", "build-17", "task.progress", "--percent", "140");

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
        Assert.Contains("POST /events was refused with 400", result.Error);
        Assert.Contains("data.percent must be from 0 to 100", result.Error);
        Assert.Empty(await PollAsync());
    }

    [Fact]
    public async Task Publish_with_several_bad_fields_lists_each_one_to_fix()
    {
        var cli = new CliRunner { Input = """{"task_id":"no spaces!","type":"Not.Lowercase"}""", Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() } };

        var result = await cli.RunAsync("publish", "--file", "-");

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
        Assert.Contains("Fix: task_id ", result.Error);
        Assert.Contains("; type ", result.Error);
        Assert.Empty(await PollAsync());
    }

    [Theory]
    [InlineData("publish", "build-17")]
    [InlineData("publish", "build-17", "task.progress", "--data", "{oops")]
    [InlineData("publish", "build-17", "task.progress", "--data", "[1,2]")]
    [InlineData("publish", "build-17", "task.progress", "--percent", "half")]
    [InlineData("publish", "build-17", "task.progress", "--file", "-")]
    [InlineData("publish", "--file", "/nonexistent/events.json")]
    [InlineData("publish", "build-17", "task.progress", "--frobnicate")]
    public async Task Publish_with_a_wrong_command_line_is_a_usage_error_and_sends_nothing(params string[] args)
    {
        var result = await Cli.RunAsync(args);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.StartsWith("pushhub: ", result.Error);
        Assert.Empty(await PollAsync());
    }

    private async Task<JsonArray> PollAsync() =>
        (await Hub.Client.GetFromJsonAsync<JsonObject>("/events?after=0"))!["events"]!.AsArray();
}
