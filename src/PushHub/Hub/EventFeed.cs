using System.Collections.Immutable;

namespace PushHub.Hub;

/// <summary>
/// The in-process <see cref="IEventFeed"/>. Listeners are indexed by task, so an event reaches only the
/// listeners of its own task and those that follow every task; the index is copy-on-write, so publishing takes
/// the lock only to read a snapshot and move the head, and hands events out without it. One-shot listeners
/// (parked long-polls) that fired are taken out together at the end of the batch, one copy per task rather than
/// one per listener, so ten thousand polls waking at once do not copy the index ten thousand times.
/// </summary>
public sealed class EventFeed : IEventFeed
{
    private readonly Lock _gate = new();
    private ImmutableDictionary<string, Entry[]> _byTask = ImmutableDictionary.Create<string, Entry[]>(StringComparer.Ordinal);
    private Entry[] _allTasks = [];
    private long _head;

    public long Head => Volatile.Read(ref _head);

    public void Initialize(long head) => Volatile.Write(ref _head, head);

    public void Publish(IReadOnlyList<HubEvent> events)
    {
        ImmutableDictionary<string, Entry[]> byTask;
        Entry[] allTasks;
        lock (_gate)
        {
            // A listener that joins after this point starts from the new head, and reads these events from
            // the store; one that joined before is in this snapshot and gets them here. No gap, no duplicate.
            byTask = _byTask;
            allTasks = _allTasks;
            Volatile.Write(ref _head, events[^1].Seq);
        }
        var fired = false;
        foreach (var stored in events)
        {
            if (byTask.TryGetValue(stored.TaskId, out var listeners))
            {
                fired |= Deliver(listeners, stored);
            }
            fired |= Deliver(allTasks, stored);
        }
        if (fired)
        {
            RemoveFired(events);
        }
    }

    /// <summary>Hands the event to the matching listeners; answers whether a one-shot listener was among them.</summary>
    private static bool Deliver(Entry[] listeners, HubEvent stored)
    {
        var fired = false;
        foreach (var entry in listeners)
        {
            if (entry.Types is null || entry.Types.Contains(stored.Type))
            {
                if (entry.Once)
                {
                    entry.Fired = true;
                    fired = true;
                }
                entry.Listener.OnEvent(stored);
            }
        }
        return fired;
    }

    private void RemoveFired(IReadOnlyList<HubEvent> events)
    {
        lock (_gate)
        {
            _allTasks = WithoutFired(_allTasks);
            var byTask = _byTask;
            // Listeners fire through the tasks of this batch; one that follows several tasks sits in each list.
            var tasks = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stored in events)
            {
                if (tasks.Add(stored.TaskId) && byTask.TryGetValue(stored.TaskId, out var listeners))
                {
                    foreach (var entry in listeners)
                    {
                        if (entry.Fired && entry.Tasks is { Count: > 1 })
                        {
                            tasks.UnionWith(entry.Tasks);
                        }
                    }
                }
            }
            foreach (var task in tasks)
            {
                if (byTask.TryGetValue(task, out var existing))
                {
                    var remaining = WithoutFired(existing);
                    if (remaining != existing)
                    {
                        byTask = remaining.Length == 0 ? byTask.Remove(task) : byTask.SetItem(task, remaining);
                    }
                }
            }
            _byTask = byTask;
        }
    }

    private static Entry[] WithoutFired(Entry[] entries)
    {
        var fired = 0;
        foreach (var entry in entries)
        {
            fired += entry.Fired ? 1 : 0;
        }
        if (fired == 0)
        {
            return entries;
        }
        var result = new Entry[entries.Length - fired];
        var i = 0;
        foreach (var entry in entries)
        {
            if (!entry.Fired)
            {
                result[i++] = entry;
            }
        }
        return result;
    }

    public FeedRegistration Listen(EventFilter filter, IFeedListener listener, bool once = false)
    {
        var entry = new Entry(listener, filter.Tasks, filter.Types, once);
        long head;
        lock (_gate)
        {
            if (filter.Tasks is null)
            {
                _allTasks = [.. _allTasks, entry];
            }
            else
            {
                var byTask = _byTask;
                foreach (var task in filter.Tasks)
                {
                    byTask = byTask.SetItem(task, byTask.TryGetValue(task, out var existing) ? [.. existing, entry] : [entry]);
                }
                _byTask = byTask;
            }
            head = _head;
        }
        return new FeedRegistration(head, () => Remove(filter, entry));
    }

    private void Remove(EventFilter filter, Entry entry)
    {
        lock (_gate)
        {
            if (entry.Fired)
            {
                return; // the batch that fired it takes it out
            }
            if (filter.Tasks is null)
            {
                _allTasks = Without(_allTasks, entry);
                return;
            }
            var byTask = _byTask;
            foreach (var task in filter.Tasks)
            {
                if (byTask.TryGetValue(task, out var existing))
                {
                    var remaining = Without(existing, entry);
                    byTask = remaining.Length == 0 ? byTask.Remove(task) : byTask.SetItem(task, remaining);
                }
            }
            _byTask = byTask;
        }
    }

    private static Entry[] Without(Entry[] entries, Entry entry)
    {
        var index = Array.IndexOf(entries, entry);
        if (index < 0)
        {
            return entries;
        }
        var result = new Entry[entries.Length - 1];
        Array.Copy(entries, 0, result, 0, index);
        Array.Copy(entries, index + 1, result, index, entries.Length - index - 1);
        return result;
    }

    public FeedStats GetStats()
    {
        var byTask = _byTask;
        var allTasks = _allTasks;
        var counts = new Dictionary<string, int>(byTask.Count, StringComparer.Ordinal);
        foreach (var (task, entries) in byTask)
        {
            if (entries.Count(entry => entry.Listener.IsSubscriber) is > 0 and var count)
            {
                counts[task] = count;
            }
        }
        return new FeedStats(counts, allTasks.Count(entry => entry.Listener.IsSubscriber));
    }

    // A class, not a record: entries are found and removed by reference.
    private sealed class Entry(IFeedListener listener, IReadOnlySet<string>? tasks, IReadOnlySet<string>? types, bool once)
    {
        private volatile bool _fired;

        public IFeedListener Listener { get; } = listener;

        public IReadOnlySet<string>? Tasks { get; } = tasks;

        public IReadOnlySet<string>? Types { get; } = types;

        public bool Once { get; } = once;

        /// <summary>Set on the publishing thread when a one-shot listener got its first batch.</summary>
        public bool Fired
        {
            get => _fired;
            set => _fired = value;
        }
    }
}
