using PushHub.Hub;

namespace PushHub.Storage;

/// <summary>
/// The sequenced event log. It assigns <c>seq</c>, keeps the task projection (and whatever else takes part in an
/// append through <see cref="IAppendParticipant"/>) in the same transaction, serves range reads and prunes by
/// retention. It is an interface so that a clustered store can take the place of the SQLite one.
/// </summary>
public interface IPollingStore
{
    /// <summary>The highest committed seq; 0 before the first event.</summary>
    long HeadSeq { get; }

    /// <summary>The oldest seq still stored; <see cref="HeadSeq"/> + 1 when nothing is stored.</summary>
    long FirstSeq { get; }

    /// <summary>
    /// Stores the events atomically, one seq each, in order. Events whose idempotency key is already known come
    /// back as the stored original with <see cref="AppendOutcome.Created"/> false. Completes after the commit.
    /// </summary>
    Task<IReadOnlyList<AppendOutcome>> AppendAsync(IReadOnlyList<EventInput> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores one event only if its task's last seq is still <paramref name="expectedLastSeq"/>; answers null
    /// when the task has moved on (used for events the hub publishes itself, such as <c>task.stuck</c>).
    /// </summary>
    Task<HubEvent?> AppendIfUnchangedAsync(EventInput input, long expectedLastSeq, CancellationToken cancellationToken = default);

    /// <summary>Events with <c>seq</c> above <see cref="EventQuery.After"/>, oldest first, matching the filters.</summary>
    Task<IReadOnlyList<HubEvent>> ReadAsync(EventQuery query, CancellationToken cancellationToken = default);

    Task<TaskSnapshot?> GetTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Tasks, most recently updated first.</summary>
    Task<IReadOnlyList<TaskSnapshot>> ListTasksAsync(string? status, int limit, CancellationToken cancellationToken = default);

    /// <summary>Running tasks whose last event is older than <paramref name="silentSince"/>.</summary>
    Task<IReadOnlyList<TaskSnapshot>> FindSilentTasksAsync(DateTimeOffset silentSince, int limit, CancellationToken cancellationToken = default);

    /// <summary>Removes events beyond the retention limits, in bounded steps; answers how many were removed.</summary>
    Task<long> PruneAsync(long maxEvents, DateTimeOffset olderThan, CancellationToken cancellationToken = default);

    /// <summary>Proves the store accepts a write, through the same writer that commits events.</summary>
    Task CheckWritableAsync(CancellationToken cancellationToken = default);
}

/// <summary>An event as stored by <see cref="IPollingStore.AppendAsync"/>; <c>Created</c> is false for an idempotent retry.</summary>
public readonly record struct AppendOutcome(HubEvent Event, bool Created);

/// <summary>A range read: events after <paramref name="After"/>, at most <paramref name="Limit"/>, up to <paramref name="UpTo"/>.</summary>
public sealed record EventQuery(long After, int Limit, IReadOnlyCollection<string>? Tasks = null, IReadOnlyCollection<string>? Types = null, long? UpTo = null)
{
    /// <summary>Stop the page once the events read so far hold at least this many JSON bytes (always at least one event).</summary>
    public int? MaxBytes { get; init; }
}

/// <summary>The task projection, kept in the same transaction as the events.</summary>
public sealed record TaskSnapshot(
    string TaskId,
    string Status,
    double? Percent,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long LastSeq,
    long EventCount);
