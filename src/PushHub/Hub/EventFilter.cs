namespace PushHub.Hub;

/// <summary>Which events a reader wants: some tasks (or all, when <see cref="Tasks"/> is null) and some types (or all).</summary>
public sealed class EventFilter
{
    public static readonly EventFilter All = new(null, null);

    public EventFilter(IEnumerable<string>? tasks, IEnumerable<string>? types)
    {
        Tasks = tasks is null ? null : new HashSet<string>(tasks, StringComparer.Ordinal);
        Types = types is null ? null : new HashSet<string>(types, StringComparer.Ordinal);
        if (Tasks is { Count: 0 })
        {
            Tasks = null;
        }
        if (Types is { Count: 0 })
        {
            Types = null;
        }
    }

    /// <summary>The tasks to follow; null for all tasks.</summary>
    public IReadOnlySet<string>? Tasks { get; }

    /// <summary>The event types to pass; null for all types.</summary>
    public IReadOnlySet<string>? Types { get; }

    public bool Matches(HubEvent stored) =>
        (Tasks is null || Tasks.Contains(stored.TaskId)) && (Types is null || Types.Contains(stored.Type));

    public override string ToString() =>
        $"tasks={(Tasks is null ? "*" : string.Join(',', Tasks))} types={(Types is null ? "*" : string.Join(',', Types))}";
}
