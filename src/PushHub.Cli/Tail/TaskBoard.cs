using PushHub.Cli.Hub;

namespace PushHub.Cli.Tail;

/// <summary>One followed task as <c>tail</c> shows it.</summary>
public sealed class TaskLine(string taskId)
{
    public string TaskId { get; } = taskId;

    /// <summary>The status of a task that has had no event yet.</summary>
    public const string Waiting = "waiting";

    public string Status { get; set; } = Waiting;

    public double Percent { get; set; }

    public string? Message { get; set; }

    /// <summary>Completed, failed or cancelled: no more progress to wait for.</summary>
    public bool IsFinished => Status is "completed" or "failed" or "cancelled";
}

/// <summary>The state of every task <c>tail</c> has seen, moved by events the way the hub moves its task projection.</summary>
public sealed class TaskBoard
{
    private readonly Dictionary<string, TaskLine> _tasks = new(StringComparer.Ordinal);

    public IEnumerable<TaskLine> Tasks => _tasks.Values;

    /// <summary>The line for <paramref name="taskId"/>, added in the order first seen.</summary>
    public TaskLine Get(string taskId)
    {
        if (!_tasks.TryGetValue(taskId, out var line))
        {
            _tasks[taskId] = line = new TaskLine(taskId);
        }
        return line;
    }

    /// <summary>Starts a line from the hub's stored state of the task.</summary>
    public TaskLine Load(TaskSnapshot snapshot)
    {
        var line = Get(snapshot.TaskId);
        line.Status = snapshot.Status;
        line.Percent = snapshot.Percent ?? 0;
        line.Message = snapshot.Message;
        return line;
    }

    public TaskLine Apply(HubEvent hubEvent)
    {
        var line = Get(hubEvent.TaskId);
        line.Status = StatusAfter(hubEvent.Type) ?? line.Status;
        line.Percent = hubEvent.Type == "task.completed" ? 100 : hubEvent.Percent ?? line.Percent;
        line.Message = hubEvent.Message ?? line.Message;
        return line;
    }

    /// <summary>True when each of <paramref name="taskIds"/> has finished.</summary>
    public bool AllFinished(IEnumerable<string> taskIds) => taskIds.All(id => _tasks.TryGetValue(id, out var line) && line.IsFinished);

    /// <summary>The well-known types of the contract (DESIGN.md, Event) and the state each one leads to.</summary>
    private static string? StatusAfter(string type) => type switch
    {
        "task.created" => "created",
        "task.queued" => "queued",
        "task.started" or "task.progress" or "task.heartbeat" or "task.checkpoint" => "running",
        "task.completed" => "completed",
        "task.failed" => "failed",
        "task.cancelled" => "cancelled",
        "task.stuck" => "stuck",
        _ => null,
    };
}
