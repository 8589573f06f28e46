using System.Collections.Immutable;

namespace PushHub.Hub;

/// <summary>
/// The in-process <see cref="IEventFeed"/>. Listeners are indexed by task, so an event reaches only the
/// listeners of its own task and those that follow every task; the index is copy-on-write, so publishing takes
/// the lock only to read a snapshot and move the head, and hands events out without it. One-shot listeners
/// (parked long-polls) join and leave all the time, so they are in plain lists instead: a batch takes the lists of
/// its tasks out whole under the lock, fires them outside it, and puts back the few that did not fire, so ten
/// thousand polls waking at once and parking again copy nothing per poll.
/// </summary>
public sealed class EventFeed : IEventFeed
{
    private readonly Lock _gate = new();
    private ImmutableDictionary<string, Entry[]> _byTask = ImmutableDictionary.Create<string, Entry[]>(StringComparer.Ordinal);
    private Entry[] _allTasks = [];
    // One-shot listeners (parked long-polls) are in plain lists under the lock, not in the copy-on-write index: ten
    // thousand polls parking again after a wake-up each copied the whole array of their task (issue #15: 10,000
    // polls allocated about 400 MB per round that way, and the collections paused the wake-ups of the next round).
    private readonly Dictionary<string, OnceList> _onceByTask = new(StringComparer.Ordinal);
    private OnceList _onceAll = new();
    private long _batch;
    private long _head;

    public long Head => Volatile.Read(ref _head);

    public void Initialize(long head) => Volatile.Write(ref _head, head);

    public void Publish(IReadOnlyList<HubEvent> events)
    {
        ImmutableDictionary<string, Entry[]> byTask;
        Entry[] allTasks;
        Dictionary<string, OnceList>? onceByTask = null;
        OnceList? onceAll = null;
        long batch;
        lock (_gate)
        {
            // A listener that joins after this point starts from the new head, and reads these events from
            // the store; one that joined before is in this snapshot and gets them here. No gap, no duplicate.
            byTask = _byTask;
            allTasks = _allTasks;
            Volatile.Write(ref _head, events[^1].Seq);
            batch = ++_batch;
            // The one-shot lists of this batch's tasks are taken out whole (no copy): nearly all of them fire, and
            // those that do not (another type) are put back after the batch.
            if (_onceByTask.Count > 0)
            {
                foreach (var stored in events)
                {
                    if (_onceByTask.Remove(stored.TaskId, out var taken))
                    {
                        (onceByTask ??= new(StringComparer.Ordinal))[stored.TaskId] = taken;
                    }
                }
            }
            if (_onceAll.Items.Count > 0)
            {
                onceAll = _onceAll;
                _onceAll = new();
            }
        }
        foreach (var stored in events)
        {
            if (byTask.TryGetValue(stored.TaskId, out var listeners))
            {
                Deliver(listeners, stored);
            }
            Deliver(allTasks, stored);
            if (onceByTask is not null && onceByTask.TryGetValue(stored.TaskId, out var once))
            {
                DeliverOnce(once.Items, stored, batch);
            }
            if (onceAll is not null)
            {
                DeliverOnce(onceAll.Items, stored, batch);
            }
        }
        if (onceByTask is not null || onceAll is not null)
        {
            PutBack(onceByTask, onceAll);
        }
    }

    private static void Deliver(Entry[] listeners, HubEvent stored)
    {
        foreach (var entry in listeners)
        {
            if (entry.Types is null || entry.Types.Contains(stored.Type))
            {
                entry.Listener.OnEvent(stored);
            }
        }
    }

    /// <summary>Hands the event to the one-shot listeners it matches that have not fired in an earlier batch.</summary>
    private static void DeliverOnce(List<Entry> listeners, HubEvent stored, long batch)
    {
        foreach (var entry in listeners)
        {
            if (entry.Removed || (entry.FiredIn != 0 && entry.FiredIn != batch) || stored.Seq <= entry.After
                || (entry.Types is not null && !entry.Types.Contains(stored.Type)))
            {
                continue;
            }
            entry.FiredIn = batch;
            entry.Listener.OnEvent(stored);
        }
    }

    /// <summary>Puts the one-shot listeners that did not fire back, beside those that joined meanwhile; a listener of
    /// several tasks that fired leaves the lists of its other tasks when they are next taken or compacted.</summary>
    private void PutBack(Dictionary<string, OnceList>? onceByTask, OnceList? onceAll)
    {
        lock (_gate)
        {
            if (onceAll is not null)
            {
                MarkOthersDead(onceAll.Items, except: null);
                _onceAll = Merge(onceAll, _onceAll);
            }
            if (onceByTask is null)
            {
                return;
            }
            foreach (var (task, taken) in onceByTask)
            {
                MarkOthersDead(taken.Items, task);
            }
            foreach (var (task, taken) in onceByTask)
            {
                var merged = Merge(taken, _onceByTask.GetValueOrDefault(task));
                if (merged.Items.Count > 0)
                {
                    _onceByTask[task] = merged;
                }
                else
                {
                    _onceByTask.Remove(task);
                }
            }
        }
    }

    /// <summary>The listeners of <paramref name="taken"/> that are still waiting, with those of <paramref name="current"/>.</summary>
    private static OnceList Merge(OnceList taken, OnceList? current)
    {
        taken.Items.RemoveAll(static entry => entry.IsDone);
        taken.Dead = 0;
        if (current is null || current.Items.Count == 0)
        {
            return taken;
        }
        current.Items.AddRange(taken.Items);
        return current;
    }

    /// <summary>Counts the fired listeners of several tasks as dead in their other tasks' lists (all-task listeners
    /// are in one list only).</summary>
    private void MarkOthersDead(List<Entry> fired, string? except)
    {
        foreach (var entry in fired)
        {
            if (entry.FiredIn != 0 && entry.Tasks is { Count: > 1 } tasks)
            {
                foreach (var task in tasks)
                {
                    if (task != except)
                    {
                        MarkDead(task);
                    }
                }
            }
        }
    }

    /// <summary>One more listener of <paramref name="task"/>'s list is done: compact the list once half of it is.</summary>
    private void MarkDead(string? task)
    {
        var list = task is null ? _onceAll : _onceByTask.GetValueOrDefault(task);
        if (list is null || ++list.Dead * 2 <= list.Items.Count)
        {
            return;
        }
        list.Items.RemoveAll(static entry => entry.IsDone);
        list.Dead = 0;
        if (list.Items.Count == 0 && task is not null)
        {
            _onceByTask.Remove(task);
        }
    }

    public FeedRegistration Listen(EventFilter filter, IFeedListener listener)
    {
        var entry = new Entry(this, listener, filter.Tasks, filter.Types, once: false, after: long.MinValue);
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
            entry.Joined(_head);
        }
        return entry;
    }

    public FeedRegistration ListenOnce(EventFilter filter, IFeedListener listener, long after = 0)
    {
        // The entry is the registration: a parked poll costs the feed one object.
        var entry = new Entry(this, listener, filter.Tasks, filter.Types, once: true, after);
        lock (_gate)
        {
            if (filter.Tasks is null)
            {
                _onceAll.Items.Add(entry);
            }
            else
            {
                foreach (var task in filter.Tasks)
                {
                    if (!_onceByTask.TryGetValue(task, out var list))
                    {
                        _onceByTask[task] = list = new();
                    }
                    list.Items.Add(entry);
                }
            }
            entry.Joined(_head);
        }
        return entry;
    }

    private void RemoveOnce(Entry entry)
    {
        lock (_gate)
        {
            if (entry.IsDone)
            {
                return; // it fired: the batch that fired it takes it out
            }
            entry.Removed = true;
            if (entry.Tasks is null)
            {
                MarkDead(null);
                return;
            }
            foreach (var task in entry.Tasks)
            {
                MarkDead(task);
            }
        }
    }

    private void Remove(Entry entry)
    {
        lock (_gate)
        {
            if (entry.Tasks is null)
            {
                _allTasks = Without(_allTasks, entry);
                return;
            }
            var byTask = _byTask;
            foreach (var task in entry.Tasks)
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
        var all = allTasks.Count(entry => entry.Listener.IsSubscriber);
        lock (_gate)
        {
            // Waiting one-shot listeners only; those of a batch being delivered are out of the lists for that moment.
            foreach (var (task, list) in _onceByTask)
            {
                if (list.Items.Count(entry => !entry.IsDone && entry.Listener.IsSubscriber) is > 0 and var count)
                {
                    counts[task] = counts.GetValueOrDefault(task) + count;
                }
            }
            all += _onceAll.Items.Count(entry => !entry.IsDone && entry.Listener.IsSubscriber);
        }
        return new FeedStats(counts, all);
    }

    // A class, not a record: entries are found and removed by reference. Each is its listener's registration.
    private sealed class Entry(EventFeed feed, IFeedListener listener, IReadOnlySet<string>? tasks, IReadOnlySet<string>? types, bool once,
        long after) : FeedRegistration
    {
        private int _disposed;

        public IFeedListener Listener { get; } = listener;

        public IReadOnlySet<string>? Tasks { get; } = tasks;

        public IReadOnlySet<string>? Types { get; } = types;

        /// <summary>A one-shot listener's cursor: events at or below it pass it by.</summary>
        public long After { get; } = after;

        /// <summary>A one-shot listener's batch (the feed's count of batches), set on the publishing thread when it
        /// got its first event; 0 while it waits. Read under the lock once that batch is put back.</summary>
        public long FiredIn { get; set; }

        /// <summary>A one-shot listener disposed before it fired (set under the lock).</summary>
        public bool Removed { get; set; }

        public bool IsDone => FiredIn != 0 || Removed;

        public void Joined(long head) => StartHead = head;

        public override void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }
            if (once)
            {
                feed.RemoveOnce(this);
            }
            else
            {
                feed.Remove(this);
            }
        }
    }

    /// <summary>The one-shot listeners of one task (or of all tasks), with a count of those known to be done.</summary>
    private sealed class OnceList
    {
        public List<Entry> Items { get; } = [];

        public int Dead { get; set; }
    }
}
