using System.CommandLine;
using PushHub.Cli.Hub;
using PushHub.Cli.Output;
using PushHub.Cli.Tail;

namespace PushHub.Cli.Commands;

/// <summary>
/// <c>pushhub tail</c>: follows events over SSE with a live progress bar per task (a line per event when the output
/// is not a terminal, the event JSON with <c>--json</c>), resuming after a dropped connection without gap or duplicate.
/// </summary>
public static class TailCommand
{
    public static Command Create(CommandBinder binder)
    {
        var filter = new FilterOptions();
        var count = new Option<int?>("--count") { Description = "Exit after this many events" };
        var untilComplete = new Option<bool>("--until-complete")
        {
            Description = "Exit once every --task has completed, failed or been cancelled (exit code 5 if any did not complete)",
        };
        var command = new Command("tail", "Follow events live (Ctrl-C to stop); without --after, from now") { count, untilComplete };
        filter.AddTo(command);

        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var tasks = session.Get(filter.Tasks) ?? [];
            var options = new TailOptions(tasks, session.Get(count), session.Get(untilComplete));
            if (options.UntilComplete && tasks.Length == 0)
            {
                throw new UsageException("--until-complete needs the tasks to wait for: add --task <id> (repeatable)");
            }
            if (options.Count is <= 0)
            {
                throw new UsageException("--count must be 1 or more");
            }
            var board = new TaskBoard();
            var after = session.Get(filter.After);
            if (after is null)
            {
                // Resuming needs a cursor even before the first event arrives: start from the hub's head, not "now".
                after = (await session.Api.GetStatsAsync(cancellationToken)).Value.HeadSeq;
                if (options.UntilComplete)
                {
                    await LoadAsync(session, board, tasks, cancellationToken);
                }
            }
            var follower = new EventFollower(session.Api, filter.Query(session), session.Context);
            try
            {
                if (session.Json || !session.Console.Profile.Capabilities.Interactive)
                {
                    foreach (var line in session.Json ? [] : board.Tasks)
                    {
                        session.Out.WriteLine(line.Status == TaskLine.Waiting ? $"{line.TaskId} has no events yet"
                            : $"{line.TaskId} {line.Status} {Tables.Percent(line.Percent)} {line.Message}".TrimEnd());
                    }
                    return await FollowAsync(follower, after.Value, board, options, (followed, _) =>
                    {
                        session.Out.WriteLine(session.Json ? followed.Json : EventText.Line(followed.Event));
                        session.Out.Flush();
                    }, cancellationToken);
                }
                return await ProgressView.Create(session.Console).StartAsync(async progress =>
                {
                    var view = new ProgressView(progress);
                    foreach (var line in board.Tasks)
                    {
                        view.Show(line);
                    }
                    return await FollowAsync(follower, after.Value, board, options, (_, line) => view.Show(line), cancellationToken);
                });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: a normal way to stop following.
                return ExitCodes.Ok;
            }
        });
    }

    private sealed record TailOptions(string[] Tasks, int? Count, bool UntilComplete);

    private static async Task<int> FollowAsync(EventFollower follower, long after, TaskBoard board, TailOptions options,
        Action<FollowedEvent, TaskLine> show, CancellationToken cancellationToken)
    {
        if (options.UntilComplete && board.AllFinished(options.Tasks))
        {
            return Outcome(board, options);
        }
        var seen = 0;
        await foreach (var followed in follower.FollowAsync(after, cancellationToken))
        {
            show(followed, board.Apply(followed.Event));
            if (++seen == options.Count || (options.UntilComplete && board.AllFinished(options.Tasks)))
            {
                return Outcome(board, options);
            }
        }
        return ExitCodes.Ok;
    }

    private static int Outcome(TaskBoard board, TailOptions options) =>
        options.UntilComplete && options.Tasks.Any(id => board.Get(id).Status != "completed") ? ExitCodes.TaskFailed : ExitCodes.Ok;

    /// <summary>Starts each named task's line from its stored state, so a task already finished ends the wait at once.</summary>
    private static async Task LoadAsync(CommandSession session, TaskBoard board, string[] tasks, CancellationToken cancellationToken)
    {
        foreach (var id in tasks)
        {
            try
            {
                board.Load((await session.Api.GetTaskAsync(id, cancellationToken)).Value);
            }
            catch (HubRequestException exception) when (exception.Status == 404)
            {
                board.Get(id);
            }
        }
    }
}
