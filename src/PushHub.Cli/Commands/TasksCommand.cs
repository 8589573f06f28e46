using System.CommandLine;
using PushHub.Cli.Hub;
using PushHub.Cli.Output;

namespace PushHub.Cli.Commands;

/// <summary><c>pushhub tasks [id]</c>: the task list (<c>GET /tasks</c>) or one task (<c>GET /tasks/{id}</c>).</summary>
public static class TasksCommand
{
    private static readonly string[] s_headers = ["task", "status", "percent", "message", "updated", "last seq", "events"];

    public static Command Create(CommandBinder binder)
    {
        var id = new Argument<string?>("id") { Description = "Show only this task", Arity = ArgumentArity.ZeroOrOne };
        var status = new Option<string?>("--status") { Description = "Only tasks in this status: created, queued, running, completed, failed, cancelled or stuck" };
        var limit = new Option<int?>("--limit") { Description = "At most this many tasks (1 to 1000, default 100)" };
        var command = new Command("tasks", "List tasks, most recently updated first, or show one") { id, status, limit };

        return binder.Bind(command, async (session, cancellationToken) =>
        {
            if (session.Get(id) is { } taskId)
            {
                if (session.Get(status) is not null || session.Get(limit) is not null)
                {
                    throw new UsageException("--status and --limit filter the list; drop them to show one task");
                }
                var one = await session.Api.GetTaskAsync(taskId, cancellationToken);
                session.Print(one, task => Tables.Write(session.Console, s_headers, [Row(task)], ""));
                return ExitCodes.Ok;
            }
            var reply = await session.Api.ListTasksAsync(new QueryString().Add("status", session.Get(status)).Add("limit", session.Get(limit)), cancellationToken);
            session.Print(reply, list => Tables.Write(session.Console, s_headers, list.Tasks.Select(Row), "No tasks."));
            return ExitCodes.Ok;
        });
    }

    private static IReadOnlyList<string?> Row(TaskSnapshot task) =>
        [task.TaskId, task.Status, Tables.Percent(task.Percent), task.Message, Tables.Time(task.UpdatedAt), Tables.Number(task.LastSeq), Tables.Number(task.EventCount)];
}
