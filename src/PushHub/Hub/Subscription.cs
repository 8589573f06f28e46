using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using PushHub.Storage;

namespace PushHub.Hub;

/// <summary>
/// One connection's stream of events, whatever it follows: some tasks (added and removed while it runs) or all of
/// them, with a type filter. Events come in strictly increasing seq order, each once: the backlog read from the
/// store, then live events from the feed, with the backlog of a task followed later merged into the same order.
/// Every transport is a thin formatter over one of these.
/// </summary>
/// <remarks>
/// An event is delivered when its task is followed, its type passes, its seq is above the task's start
/// (<c>from[task]</c>) and above the last seq delivered on the connection (<see cref="Cursor"/>).
/// Commands (<see cref="Follow"/>, <see cref="Unfollow"/>, <see cref="Post"/>) may come from any thread; the reader
/// applies them in its own loop, in the stream, so one loop owns the stream's order.
/// The log is the buffer: live events wait in a queue bounded in bytes. When it fills, the subscription drops what
/// it holds and reads the store from its cursor (a catch-up), then rejoins the live feed; a slow reader loses
/// nothing and pins at most the queue's bytes.
/// </remarks>
public sealed class Subscription : IFeedListener, IDisposable
{
    private const int PageSize = 500;

    // Markers wake the reader: a command is waiting, or the queue overflowed. Their Json is empty (no bytes).
    private static readonly HubEvent s_wake = new(0, "", "", default, ReadOnlyMemory<byte>.Empty);

    private readonly IPollingStore _store;
    private readonly IEventFeed _feed;
    private readonly SubscriberCounters? _counters;
    private readonly long _maxBytes;
    private readonly EventQueue _queue = new();
    // Commands are few (the follows at start, a keep-alive, a pong): a plain queue under its own lock holds about
    // 100 B per stream while it waits, where a ConcurrentQueue's first segment held 770 B (issue #15).
    private readonly Queue<Command> _commands = new();
    private int _pendingCommands;
    private readonly Queue<SubscriptionItem> _answers = new();
    private readonly Dictionary<string, Followed> _tasks = new(StringComparer.Ordinal);
    private Followed? _all;
    private long _queuedBytes;
    private long _lastQueued;
    private volatile bool _overflow;
    private bool _catchUpNeeded;
    private readonly long? _start;
    private long _delivered;
    private int _disposed;

    internal Subscription(IPollingStore store, IEventFeed feed, IReadOnlySet<string>? types, long? after, long maxBytes, SubscriberCounters? counters)
    {
        _store = store;
        _feed = feed;
        _maxBytes = maxBytes;
        _counters = counters;
        _start = after;
        Types = types;
    }

    /// <summary>Follows a task (null: all) from the subscription's own start, before the stream begins; no answer item.</summary>
    internal void FollowAtStart(string? taskId) => Post(new Command(CommandKind.Follow, taskId, _start, null, Silent: true));

    /// <summary>The event types the connection passes; null for all.</summary>
    public IReadOnlySet<string>? Types { get; }

    /// <summary>How far the connection has read the log: every followed event up to it was delivered (or was before its
    /// task's start). A follow starts at least here.</summary>
    public long Cursor { get; private set; }

    /// <summary>How many tasks the connection follows (all tasks counts as one).</summary>
    public int Count => _tasks.Count + (_all is null ? 0 : 1);

    /// <summary>
    /// Follows <paramref name="taskId"/> (null: every task) from <paramref name="after"/> (null: from now), replacing
    /// an earlier follow of it. The stream yields a <see cref="SubscriptionItemKind.Followed"/> item with the effective
    /// start, <c>max(after ?? head, last delivered seq)</c>, before any event of that task; the task completes with it as well.
    /// </summary>
    public Task<long> Follow(string? taskId, long? after, object? tag = null)
    {
        var command = new Command(CommandKind.Follow, taskId, after, tag, Silent: false);
        Post(command);
        return command.Done.Task;
    }

    /// <summary>Follows several tasks (null: every task) from one <paramref name="after"/> in one step, so that nothing is
    /// delivered between them and every one starts at the same seq (a client resuming a connection from its last seq);
    /// the task completes with that start.</summary>
    public Task<long> Follow(IReadOnlyList<string?> taskIds, long? after, object? tag = null)
    {
        var command = new Command(CommandKind.Follow, taskIds[0], after, tag, Silent: false, More: taskIds.Skip(1).ToArray());
        Post(command);
        return command.Done.Task;
    }

    /// <summary>Stops following <paramref name="taskId"/>; the stream yields <see cref="SubscriptionItemKind.Unfollowed"/>
    /// (with <see cref="SubscriptionItem.Found"/> false when it was not followed).</summary>
    public void Unfollow(string? taskId, object? tag = null) => Post(new Command(CommandKind.Unfollow, taskId, null, tag, Silent: false));

    /// <summary>Puts a transport's own message into the stream, in order (a pong, an error frame).</summary>
    public void Post(object message) => Post(new Command(CommandKind.Message, null, null, message, Silent: false));

    private void Post(Command command)
    {
        lock (_commands)
        {
            _commands.Enqueue(command);
            _pendingCommands++;
        }
        _queue.TryWrite(s_wake);
    }

    /// <summary>Takes the next command, without the lock when there is none (the check runs once per event).</summary>
    private bool TryTakeCommand([NotNullWhen(true)] out Command? command)
    {
        command = null;
        if (Volatile.Read(ref _pendingCommands) == 0)
        {
            return false;
        }
        lock (_commands)
        {
            if (!_commands.TryDequeue(out command))
            {
                return false;
            }
            _pendingCommands--;
            return true;
        }
    }

    /// <summary>
    /// The stream: events, a <see cref="SubscriptionItemKind.Reset"/> when the cursor is older than retention, and the
    /// answers to commands, in order. Runs until cancelled or disposed.
    /// </summary>
    public async IAsyncEnumerable<SubscriptionItem> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Cursor = _delivered = _start ?? 0;
        var reader = _queue;
        while (true)
        {
            while (TryTakeCommand(out var command))
            {
                if (Apply(command) is { } answer)
                {
                    yield return answer;
                }
                while (_answers.TryDequeue(out var queued))
                {
                    yield return queued;
                }
            }
            if (_catchUpNeeded || _overflow)
            {
                _catchUpNeeded = false;
                await foreach (var item in CatchUpAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return item;
                }
                continue;
            }
            if (!reader.TryRead(out var stored))
            {
                if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
                continue;
            }
            if (stored == s_wake)
            {
                continue;
            }
            Interlocked.Add(ref _queuedBytes, -stored.Json.Length);
            if (Passes(stored))
            {
                Cursor = _delivered = stored.Seq;
                yield return SubscriptionItem.ForEvent(stored);
            }
        }
    }

    /// <summary>Reads the store from the cursor up to the feed's head, then goes back to the live queue; again if the
    /// queue overflowed meanwhile. Commands that arrive are applied between pages.</summary>
    private async IAsyncEnumerable<SubscriptionItem> CatchUpAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Order matters: empty the queue, accept live events again, then take the head. An event dropped before the
        // overflow flag clears was published before the head was read, so it is at or below the target and read
        // from the store; anything queued after is kept (and skipped when at or below the cursor).
        while (_queue.TryRead(out var dropped))
        {
            Interlocked.Add(ref _queuedBytes, -dropped.Json.Length);
        }
        if (_overflow)
        {
            _counters?.CaughtUp();
        }
        _overflow = false;
        var target = _feed.Head;
        // Nothing at or below the earliest start of what is followed is delivered: no need to read it.
        var earliest = _all?.From ?? target;
        foreach (var task in _tasks.Values)
        {
            earliest = Math.Min(earliest, task.From);
        }
        Cursor = Math.Max(Cursor, earliest);
        while (Cursor < target)
        {
            if (_all is null && _tasks.Count == 0)
            {
                Cursor = target;
                break;
            }
            var page = await _store.ReadPageAsync(new EventQuery(Cursor, PageSize, _all is null ? _tasks.Keys.ToArray() : null, Types, UpTo: target)
            {
                MaxBytes = (int)Math.Min(_maxBytes, int.MaxValue),
            }, cancellationToken).ConfigureAwait(false);
            if (page.ResetTo is { } resetTo)
            {
                yield return SubscriptionItem.ForReset(resetTo, _all is null && _tasks.Count == 1 ? _tasks.Keys.First() : null);
            }
            foreach (var stored in page.Events)
            {
                if (Passes(stored))
                {
                    Cursor = _delivered = stored.Seq;
                    yield return SubscriptionItem.ForEvent(stored);
                }
            }
            Cursor = Math.Max(Cursor, page.NextCursor(Cursor, target));
            while (TryTakeCommand(out var command))
            {
                if (Apply(command) is { } answer)
                {
                    yield return answer;
                }
                while (_answers.TryDequeue(out var queued))
                {
                    yield return queued;
                }
            }
        }
    }

    private bool Passes(HubEvent stored)
    {
        if (stored.Seq <= Cursor || (Types is not null && !Types.Contains(stored.Type)))
        {
            return false;
        }
        return (_all is { } all && stored.Seq > all.From) || (_tasks.TryGetValue(stored.TaskId, out var task) && stored.Seq > task.From);
    }

    private SubscriptionItem? Apply(Command command)
    {
        if (command.More is { Count: > 0 } more)
        {
            // One step: the follows of several tasks, with one answer each, before anything else is delivered.
            long start = 0;
            foreach (var taskId in more.Prepend(command.TaskId))
            {
                if (FollowOne(taskId, command.After) is not { } from)
                {
                    command.Done.TrySetCanceled();
                    return null;
                }
                start = from;
                _answers.Enqueue(SubscriptionItem.ForFollowed(taskId, from, command.Tag));
            }
            command.Done.TrySetResult(start);
            return null;
        }
        switch (command.Kind)
        {
            case CommandKind.Follow:
                if (FollowOne(command.TaskId, command.After) is not { } start)
                {
                    command.Done.TrySetCanceled();
                    return null;
                }
                command.Done.TrySetResult(start);
                return command.Silent ? null : SubscriptionItem.ForFollowed(command.TaskId, start, command.Tag);
            case CommandKind.Unfollow:
                Followed? removed;
                lock (_tasks)
                {
                    if (command.TaskId is null)
                    {
                        removed = _all;
                        _all = null;
                    }
                    else
                    {
                        _tasks.Remove(command.TaskId, out removed);
                    }
                    removed?.Registration.Dispose();
                }
                return SubscriptionItem.ForUnfollowed(command.TaskId, removed is not null, command.Tag);
            default:
                return SubscriptionItem.ForMessage(command.Tag!);
        }
    }

    /// <summary>Follows one task (null: all); answers its start, or null once disposed.</summary>
    private long? FollowOne(string? taskId, long? after)
    {
        if (_disposed != 0)
        {
            return null;
        }
        var registration = _feed.Listen(new EventFilter(taskId is null ? null : [taskId], Types), this);
        var head = registration.StartHead;
        // Only the order of the connection limits a late follow: it starts after what was delivered, and the log
        // between that and the cursor holds nothing else the connection follows, so the cursor may step back to it.
        var from = Math.Max(after ?? head, _delivered);
        Cursor = Math.Min(Cursor, from);
        var followed = new Followed(registration, from);
        lock (_tasks)
        {
            if (taskId is null)
            {
                _all?.Registration.Dispose();
                _all = followed;
            }
            else
            {
                if (_tasks.Remove(taskId, out var previous))
                {
                    previous.Registration.Dispose();
                }
                _tasks[taskId] = followed;
            }
            if (_disposed != 0)
            {
                followed.Registration.Dispose();
            }
        }
        // The task's backlog up to the head it joined at is in the store only.
        _catchUpNeeded |= from < head;
        return from;
    }

    void IFeedListener.OnEvent(HubEvent stored)
    {
        // Called on the feed's publishing thread, once per matching registration: a task followed both by name and
        // through "*" is handed the same event twice in a row.
        if (_overflow || stored.Seq <= _lastQueued)
        {
            return;
        }
        _lastQueued = stored.Seq;
        if (Interlocked.Add(ref _queuedBytes, stored.Json.Length) > _maxBytes && Volatile.Read(ref _queuedBytes) != stored.Json.Length)
        {
            Interlocked.Add(ref _queuedBytes, -stored.Json.Length);
            _overflow = true;
            _queue.TryWrite(s_wake);
            return;
        }
        _queue.TryWrite(stored);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        _queue.Complete();
        // The reader makes the registrations; a follow it applies after this point is let go at once.
        lock (_tasks)
        {
            foreach (var task in _tasks.Values)
            {
                task.Registration.Dispose();
            }
            _all?.Registration.Dispose();
        }
        while (TryTakeCommand(out var command))
        {
            command.Done.TrySetCanceled();
        }
    }

    private sealed record Followed(FeedRegistration Registration, long From);

    private enum CommandKind
    {
        Follow,
        Unfollow,
        Message,
    }

    private sealed record Command(CommandKind Kind, string? TaskId, long? After, object? Tag, bool Silent, IReadOnlyList<string?>? More = null)
    {
        public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
