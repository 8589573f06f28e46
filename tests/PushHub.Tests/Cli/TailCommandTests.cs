using System.Text.Json.Nodes;
using PushHub.Cli;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Cli;

/// <summary><c>pushhub tail</c> against a live hub: resumes across dropped connections, and stops when asked.</summary>
public sealed class TailCommandTests : CliHubTest
{
    [Fact]
    public async Task Tail_resumes_after_dropped_connections_with_every_seq_once()
    {
        var published = new List<long>();
        for (var i = 1; i <= 5; i++)
        {
            published.Add(await Hub.Client.PublishSeqAsync("build-17", "task.progress", new { percent = i * 10 }));
        }
        // Connection 1 breaks with an error after 3 events, connection 2 ends cleanly after 2 more; both mid-frame.
        // The last 3 events are published while connection 2 is open.
        var handler = new CuttingHandler(number => number switch { 1 => (3, true), 2 => (2, false), _ => null })
        {
            Connected = async number =>
            {
                if (number == 2)
                {
                    for (var i = 6; i <= 8; i++)
                    {
                        published.Add(await Hub.Client.PublishSeqAsync("build-17", "task.progress", new { percent = i * 10 }));
                    }
                }
            },
        };
        var runner = new CliRunner { CreateHandler = () => handler, Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() } };

        var result = await runner.RunAsync(["tail", "--task", "build-17", "--after", "0", "--count", "8", "--json"], Timeout.Token);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var seqs = result.Lines.Select(line => JsonNode.Parse(line)!["seq"]!.GetValue<long>()).ToList();
        Assert.Equal(published, seqs);
        Assert.Equal(new[] { "0", published[2].ToString(), published[4].ToString() }, handler.LastEventIds.Select(id => id ?? "(none)"));
        Assert.Contains("reconnecting", result.Error);
    }

    [Fact]
    public async Task Tail_without_after_starts_at_the_head_and_prints_only_new_events()
    {
        await Hub.Client.PublishSeqAsync("build-1", "task.started");
        var handler = new CuttingHandler(_ => null)
        {
            Connected = async _ => await Hub.Client.PublishSeqAsync("build-1", "task.progress", new { percent = 50, message = "Compiling" }),
        };
        var runner = new CliRunner { CreateHandler = () => handler, Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() } };

        var result = await runner.RunAsync(["tail", "--task", "build-1", "--count", "1"], Timeout.Token);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var line = Assert.Single(result.Lines);
        Assert.Equal("2 build-1 task.progress 50% Compiling", line);
    }

    [Fact]
    public async Task Tail_until_complete_exits_when_the_task_finishes_and_says_how()
    {
        await Hub.Client.PublishSeqAsync("build-2", "task.progress", new { percent = 30 });
        await Hub.Client.PublishSeqAsync("build-3", "task.progress", new { percent = 60 });
        await Hub.Client.PublishSeqAsync("build-2", "task.completed");
        await Hub.Client.PublishSeqAsync("build-3", "task.failed", new { message = "tests failed" });
        var runner = Cli;

        var completed = await runner.RunAsync(["tail", "--task", "build-2", "--after", "0", "--until-complete"], Timeout.Token);
        var failed = await runner.RunAsync(["tail", "--task", "build-3", "--after", "0", "--until-complete"], Timeout.Token);
        // Without --after the wait starts from the stored state: a finished task ends it at once.
        var already = await runner.RunAsync(["tail", "--task", "build-2", "--until-complete"], Timeout.Token);

        Assert.True(completed.ExitCode == ExitCodes.Ok, completed.ToString());
        Assert.Equal(["1 build-2 task.progress 30%", "3 build-2 task.completed"], completed.Lines);
        Assert.True(failed.ExitCode == ExitCodes.TaskFailed, failed.ToString());
        Assert.Equal("4 build-3 task.failed tests failed", failed.Lines[^1]);
        Assert.True(already.ExitCode == ExitCodes.Ok, already.ToString());
        Assert.Equal("build-2 completed 100%", Assert.Single(already.Lines));
    }

    [Fact]
    public async Task Tail_stops_cleanly_when_cancelled_like_ctrl_c()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Timeout.Token);
        var seq = await Hub.Client.PublishSeqAsync("build-4", "task.started");
        var runner = new CliRunner { Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() } };
        var output = new SnapshotWriter();

        // Cancelled while it streams: once it has shown the event, as a user presses Ctrl+C in front of it.
        var running = runner.RunAsync(["tail", "--task", "build-4", "--after", "0"], stop.Token, output);
        await LiveHub.EventuallyAsync(() => output.Snapshot().Contains($"{seq} build-4 task.started", StringComparison.Ordinal) || running.IsCompleted, Timeout.Token);
        Assert.False(running.IsCompleted, "tail ended before it was cancelled");
        await stop.CancelAsync();
        var result = await running;

        Assert.False(Timeout.IsCancellationRequested, "tail did not stop when cancelled");
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Tail_draws_a_progress_bar_per_task_on_a_terminal()
    {
        await Hub.Client.PublishSeqAsync("build-5", "task.progress", new { percent = 40, message = "Compiling" });
        await Hub.Client.PublishSeqAsync("deploy-5", "task.progress", new { percent = 70, message = "Uploading" });
        await Hub.Client.PublishSeqAsync("build-5", "task.completed", new { message = "Done" });
        await Hub.Client.PublishSeqAsync("deploy-5", "task.progress", new { percent = 80 });
        var runner = new CliRunner { Interactive = true, Environment = { ["PUSHHUB_URL"] = Hub.BaseAddress.ToString() } };

        var result = await runner.RunAsync(["tail", "--task", "build-5", "--task", "deploy-5", "--after", "0", "--count", "4"], Timeout.Token);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        var screen = System.Text.RegularExpressions.Regex.Replace(result.Output, @"\x1b\[[0-9;?]*[A-Za-z]", "");
        var lastFrame = screen[screen.LastIndexOf("build-5", StringComparison.Ordinal)..];
        Assert.Matches(@"build-5 completed Done\s.*100%", lastFrame);
        Assert.Matches(@"deploy-5 running Uploading\s.*80%", lastFrame);
    }

    [Fact]
    public async Task Tail_of_a_task_the_key_may_not_read_is_refused_without_retrying()
    {
        using var hub = new LiveHub(Security.SecuredHub.Settings());
        var runner = CliRunner.For(hub.BaseAddress);
        runner.Environment["PUSHHUB_KEY"] = Security.SecuredHub.SubscriberKey;

        var result = await runner.RunAsync(["tail", "--task", "deploy-9", "--after", "0"], Timeout.Token);

        Assert.True(result.ExitCode == ExitCodes.Rejected, result.ToString());
        Assert.Contains("may not read task 'deploy-9'", result.Error);
    }

    /// <summary>Output that a test may read while the command still writes to it.</summary>
    private sealed class SnapshotWriter : StringWriter
    {
        public string Snapshot()
        {
            lock (this)
            {
                return ToString();
            }
        }

        public override void Write(char value)
        {
            lock (this)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (this)
            {
                base.Write(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (this)
            {
                base.Write(buffer, index, count);
            }
        }
    }
}
