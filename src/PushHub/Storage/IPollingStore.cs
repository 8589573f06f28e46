using PushHub.Hub;

namespace PushHub.Storage;

/// <summary>
/// The sequenced event log. It assigns <c>seq</c>, keeps the task projection, idempotency keys and the webhook outbox
/// (<see cref="IWebhookStore"/>) in the same atomic step, serves range reads, hands committed events to each node's
/// log follower and prunes by retention. The SQLite provider (<c>Storage/Sqlite</c>) is one implementation; nothing
/// outside a provider's folder knows which one runs.
/// </summary>
public interface IPollingStore
{
    /// <summary>
    /// The highest committed seq as this node last knew it; 0 before the first event. Cheap, for statistics and hints:
    /// anything that must be exact (a poll's <c>last_seq</c>) takes <see cref="EventPage.Head"/> from a read instead.
    /// </summary>
    long HeadSeq { get; }

    /// <summary>The oldest seq still stored, as this node last knew it; <see cref="HeadSeq"/> + 1 when nothing is stored.
    /// A hint like <see cref="HeadSeq"/>: a reader learns of removed events from <see cref="EventPage.ResetTo"/>.</summary>
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

    /// <summary>
    /// One page of events with <c>seq</c> above <see cref="EventQuery.After"/>, oldest first, matching the filters, at
    /// most <see cref="EventQuery.Limit"/> of them and none above <see cref="EventQuery.UpTo"/>, stopping once
    /// <see cref="EventQuery.MaxBytes"/> is reached; with the head, completeness and reset the same read saw
    /// (see <see cref="EventPage"/>).
    /// </summary>
    Task<EventPage> ReadPageAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every committed event with a seq above <paramref name="after"/>, in committed batches, in seq order, with no gap
    /// and no duplicate, until <paramref name="cancellationToken"/> fires: first the backlog (read from the store when
    /// <paramref name="after"/> is behind), then each batch as it commits, whichever node committed it. Events that
    /// retention removed before they could be read are skipped (the log continues after them). The enumeration ends
    /// when the store is disposed.
    /// </summary>
    IAsyncEnumerable<IReadOnlyList<HubEvent>> FollowAsync(long after, CancellationToken cancellationToken = default);

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

/// <summary>Reads that every provider gets from <see cref="IPollingStore.ReadPageAsync"/>.</summary>
public static class PollingStoreExtensions
{
    /// <summary>The events of <see cref="IPollingStore.ReadPageAsync"/>, for a reader that needs no more than them.</summary>
    public static async Task<IReadOnlyList<HubEvent>> ReadAsync(this IPollingStore store, EventQuery query, CancellationToken cancellationToken = default) =>
        (await store.ReadPageAsync(query, cancellationToken).ConfigureAwait(false)).Events;
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
