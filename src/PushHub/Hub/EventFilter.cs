namespace PushHub.Hub;

/// <summary>Which events a reader wants: some tasks (or all, when <see cref="Tasks"/> is null) and some types (or all).</summary>
public sealed class EventFilter
{
    public static readonly EventFilter All = new(null, null);

    public EventFilter(IEnumerable<string>? tasks, IEnumerable<string>? types)
    {
        Tasks = tasks is null ? null : SetOf(tasks);
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

    // Most filters name one task (a poll, a stream): a set of one holds a string, where a HashSet holds three arrays
    // (issue #15: every parked poll carried one).
    private static IReadOnlySet<string> SetOf(IEnumerable<string> tasks)
    {
        // A query's one task= comes as a list of one: no HashSet and enumerator to build and drop per poll.
        if (tasks is IReadOnlyList<string> { Count: 1 } one)
        {
            return new OneTask(one[0]);
        }
        var set = new HashSet<string>(tasks, StringComparer.Ordinal);
        return set.Count == 1 ? new OneTask(set.First()) : set;
    }

    public override string ToString() =>
        $"tasks={(Tasks is null ? "*" : string.Join(',', Tasks))} types={(Types is null ? "*" : string.Join(',', Types))}";

    /// <summary>A set of one task, compared ordinally.</summary>
    private sealed class OneTask(string task) : IReadOnlySet<string>
    {
        public int Count => 1;

        public bool Contains(string item) => string.Equals(item, task, StringComparison.Ordinal);

        public IEnumerator<string> GetEnumerator()
        {
            yield return task;
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public bool IsProperSubsetOf(IEnumerable<string> other) => Others(other) is { Seen: true, More: true };

        public bool IsProperSupersetOf(IEnumerable<string> other) => Others(other) is { Seen: false, More: false, Any: false };

        public bool IsSubsetOf(IEnumerable<string> other) => Others(other).Seen;

        public bool IsSupersetOf(IEnumerable<string> other) => Others(other) is { More: false };

        public bool Overlaps(IEnumerable<string> other) => Others(other).Seen;

        public bool SetEquals(IEnumerable<string> other) => Others(other) is { Seen: true, More: false };

        // Whether other holds this task, and whether it holds anything else.
        private (bool Seen, bool More, bool Any) Others(IEnumerable<string> other)
        {
            bool seen = false, more = false, any = false;
            foreach (var item in other)
            {
                any = true;
                if (Contains(item))
                {
                    seen = true;
                }
                else
                {
                    more = true;
                }
            }
            return (seen, more, any);
        }
    }
}
