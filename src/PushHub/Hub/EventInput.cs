namespace PushHub.Hub;

/// <summary>A validated event a publisher asked to store; the hub assigns its seq and timestamp at commit.</summary>
/// <param name="TaskId">Checked against the contract's task id pattern (plain ASCII, nothing to escape).</param>
/// <param name="Type">A lowercase dotted name (plain ASCII, nothing to escape).</param>
/// <param name="Data">The <c>data</c> object as compact UTF-8 JSON, serialized once at validation.</param>
/// <param name="IdempotencyKey">When set, a retry with the same key returns the stored event instead of a new one.</param>
public sealed record EventInput(string TaskId, string Type, ReadOnlyMemory<byte> Data, string? IdempotencyKey)
{
    /// <summary>The task state this event moves its task to, or null when the type leaves the state as it is.</summary>
    public string? Status => TaskStatuses.ForEventType(Type);

    /// <summary><c>data.percent</c> when present (already checked to be 0–100); 100 for <c>task.completed</c>.</summary>
    public double? Percent { get; init; }

    /// <summary><c>data.message</c> when present.</summary>
    public string? Message { get; init; }
}
