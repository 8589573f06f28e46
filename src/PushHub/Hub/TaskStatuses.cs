namespace PushHub.Hub;

/// <summary>The task states of the contract and the well-known event types that lead to them.</summary>
public static class TaskStatuses
{
    public const string Created = "created";
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Stuck = "stuck";

    public static readonly IReadOnlyList<string> All = [Created, Queued, Running, Completed, Failed, Cancelled, Stuck];

    public static string? ForEventType(string type) => type switch
    {
        EventTypes.Created => Created,
        EventTypes.Queued => Queued,
        EventTypes.Started or EventTypes.Progress or EventTypes.Heartbeat or EventTypes.Checkpoint => Running,
        EventTypes.Completed => Completed,
        EventTypes.Failed => Failed,
        EventTypes.Cancelled => Cancelled,
        EventTypes.Stuck => Stuck,
        _ => null,
    };
}

/// <summary>The well-known event types. Any lowercase dotted name is accepted; these ones move a task's state.</summary>
public static class EventTypes
{
    public const string Created = "task.created";
    public const string Queued = "task.queued";
    public const string Started = "task.started";
    public const string Progress = "task.progress";
    public const string Heartbeat = "task.heartbeat";
    public const string Checkpoint = "task.checkpoint";
    public const string Completed = "task.completed";
    public const string Failed = "task.failed";
    public const string Cancelled = "task.cancelled";
    public const string Stuck = "task.stuck";
}
