using PushHub.Cli;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Cli;

/// <summary>Where the CLI finds the hub and its key, and what it says when it cannot reach it or is refused.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public async Task An_unreachable_hub_gets_the_connection_exit_code_and_a_hint()
    {
        var url = $"http://127.0.0.1:{TestPorts.Free()}/";

        var result = await new CliRunner().RunAsync("--url", url, "tasks");

        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Equal($"pushhub: cannot reach {url} : connection refused; is the hub running? set --url or PUSHHUB_URL", result.Error.Trim());
    }

    [Fact]
    public async Task Without_url_the_cli_uses_PUSHHUB_URL_and_the_option_wins_over_it()
    {
        using var hub = new LiveHub();
        await hub.Client.PublishSeqAsync("build-1", "task.started");
        var cli = new CliRunner { Environment = { ["PUSHHUB_URL"] = hub.BaseAddress.ToString() } };

        var fromEnvironment = await cli.RunAsync("tasks");
        var optionWins = await cli.RunAsync("tasks", "--url", $"http://127.0.0.1:{TestPorts.Free()}");

        Assert.True(fromEnvironment.ExitCode == ExitCodes.Ok, fromEnvironment.ToString());
        Assert.Contains("build-1", fromEnvironment.Output);
        Assert.Equal(ExitCodes.Unreachable, optionWins.ExitCode);
    }

    [Fact]
    public async Task A_secured_hub_wants_a_key_from_the_option_or_PUSHHUB_KEY()
    {
        using var hub = new LiveHub(SecuredHub.Settings());
        var cli = CliRunner.For(hub.BaseAddress);

        var anonymous = await cli.RunAsync("publish", "build-1", "task.started");
        var withOption = await cli.RunAsync("publish", "build-1", "task.started", "--key", SecuredHub.PublisherKey);
        var outsidePatterns = await cli.RunAsync("publish", "deploy-1", "task.started", "--key", SecuredHub.PublisherKey);
        cli.Environment["PUSHHUB_KEY"] = SecuredHub.AdminKey;
        var withEnvironment = await cli.RunAsync("tasks");

        Assert.Equal(ExitCodes.Rejected, anonymous.ExitCode);
        Assert.Contains("401", anonymous.Error);
        Assert.Contains("Authorization: Bearer <key>", anonymous.Error);
        Assert.True(withOption.ExitCode == ExitCodes.Ok, withOption.ToString());
        Assert.Equal(ExitCodes.Rejected, outsidePatterns.ExitCode);
        Assert.Contains("may not publish to task 'deploy-1'", outsidePatterns.Error);
        Assert.True(withEnvironment.ExitCode == ExitCodes.Ok, withEnvironment.ToString());
        Assert.Contains("build-1", withEnvironment.Output);
        Assert.DoesNotContain(SecuredHub.PublisherKey, anonymous.Error + withOption.Output + outsidePatterns.Error);
    }

    [Theory]
    [InlineData("frob")]
    [InlineData]
    [InlineData("--url", "ftp://example.org", "tasks")]
    [InlineData("tasks", "--limit", "many")]
    [InlineData("webhooks", "replay", "wh_1")]
    [InlineData("dead-letters", "replay")]
    [InlineData("tail", "--until-complete")]
    public async Task A_wrong_command_line_is_a_usage_error(params string[] args)
    {
        var result = await new CliRunner().RunAsync(args);

        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        Assert.StartsWith("pushhub: ", result.Error);
    }

    [Fact]
    public async Task Help_is_printed_with_exit_code_zero()
    {
        var result = await new CliRunner().RunAsync("--help");

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("tail", result.Output);
        Assert.Contains("dead-letters", result.Output);
    }
}
