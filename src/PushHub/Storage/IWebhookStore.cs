namespace PushHub.Storage;

/// <summary>
/// Registered webhooks, their outbox of pending deliveries, the attempt log and dead letters. The store provider
/// owns them because pending deliveries are written in the same atomic step as their event: every
/// <see cref="IPollingStore.AppendAsync"/> matches each new event against the enabled webhooks
/// (<see cref="WebhookRecord.Matches"/>) and enqueues one delivery per match, so a crash loses neither.
/// </summary>
/// <remarks>
/// Several dispatchers — in one process or on several nodes — may work the same outbox: a delivery is sent only
/// after <see cref="ClaimDueAsync"/> handed it out under a lease, and only the holder of that claim can resolve it.
/// A node that dies mid-attempt loses its claims when their leases end; another node then claims and sends them
/// again (at least once, same <c>webhook-id</c>). No method here takes or returns a provider's own types.
/// </remarks>
public interface IWebhookStore
{
    /// <summary>Stores a new webhook; from the next append on, events that match it are enqueued for it.</summary>
    Task<WebhookRecord> CreateAsync(WebhookRecord webhook, CancellationToken cancellationToken = default);

    Task<WebhookRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Every webhook, newest first. Callers filter by what their caller may see, then apply their limit.</summary>
    Task<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The enabled webhooks, as the append step matches them. A provider may answer from a cache, but a change made
    /// through this store (on any node) is seen by the next claim and the next append.
    /// </summary>
    Task<IReadOnlyList<WebhookRecord>> ListEnabledAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="change"/> to the stored webhook in one atomic step (a null from it leaves the webhook as
    /// it is) and answers the stored result; null when there is no such webhook. Disabling a webhook leaves its pending
    /// deliveries in place (they are sent when it is enabled again), but they no longer hold back retention: the
    /// provider gives them their own copy of the event first.
    /// </summary>
    Task<WebhookRecord?> UpdateAsync(string id, Func<WebhookRecord, WebhookRecord?> change, CancellationToken cancellationToken = default);

    /// <summary>Removes a webhook with its pending deliveries, attempt log and dead letters.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="max"/> due deliveries of one enabled webhook, oldest first, under a lease until
    /// <paramref name="now"/> + <paramref name="lease"/>: no other claim gets them until the lease ends or the claim is
    /// resolved. Due means the next attempt is at or before <paramref name="now"/> and no lease on it is still running.
    /// For a webhook with <see cref="WebhookRecord.CoalesceProgress"/>, a pending <c>task.progress</c> delivery that has
    /// a newer pending <c>task.progress</c> delivery of the same task is removed instead of claimed, and counted.
    /// </summary>
    Task<DeliveryClaim> ClaimDueAsync(string webhookId, DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default);

    /// <summary>
    /// When the next pending delivery of an enabled webhook falls due (its next attempt, or the end of the lease it is
    /// claimed under, whichever is later); null when none is pending.
    /// </summary>
    Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Records an attempt on a claimed delivery (when <paramref name="attempt"/> is given) and resolves the delivery,
    /// in one atomic step. Answers false, writing nothing, when the claim is no longer held: its lease ran out and
    /// another claim took the delivery (or the webhook was deleted meanwhile).
    /// </summary>
    Task<bool> ResolveAsync(ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Resolves several claimed deliveries in one store call (one transaction, one round trip where the provider can),
    /// in order, each as <see cref="ResolveAsync"/> would resolve it alone, and answers per outcome whether its claim
    /// still held: an outcome whose claim was lost writes nothing and is answered false, without refusing the others.
    /// </summary>
    Task<IReadOnlyList<bool>> ResolveManyAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Hands overdue deliveries to their fallback: for every pending delivery of a webhook with
    /// <see cref="WebhookRecord.FallbackWebhookId"/> and <see cref="WebhookRecord.FallbackAfter"/> whose event was
    /// committed at or before <paramref name="now"/> − <c>FallbackAfter</c> and that has not been handed over yet,
    /// enqueues the same event for the fallback webhook (once per delivery) and writes a line in both attempt logs.
    /// The original delivery stays pending. Answers how many were handed over.
    /// </summary>
    Task<int> EnqueueOverdueFallbacksAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Enqueues the stored events after <paramref name="after"/> (up to <paramref name="until"/>) that match the
    /// webhook, in seq order, for delivery with fresh attempts; answers how many.</summary>
    Task<int> ReplayAsync(string webhookId, long after, long? until, CancellationToken cancellationToken = default);

    /// <summary>Adds a line to a webhook's attempt log without touching the outbox (a test send, say).</summary>
    Task AppendAttemptAsync(DeliveryAttemptRecord attempt, CancellationToken cancellationToken = default);

    /// <summary>A webhook's attempt log, newest first. The provider keeps at most the newest
    /// <see cref="WebhookRecord.MaxAttemptLog"/> lines per webhook, none older than the event retention.</summary>
    Task<IReadOnlyList<DeliveryAttemptRecord>> ListAttemptsAsync(string webhookId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Dead letters, newest first: of the given webhooks only (null: of every webhook), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(IReadOnlyCollection<string>? webhookIds, int limit, CancellationToken cancellationToken = default);

    Task<DeadLetterRecord?> GetDeadLetterAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Queues dead letters (one by <paramref name="id"/>, or all of <paramref name="webhookId"/>) for delivery
    /// again with fresh attempts, from their own copy of the event, and removes them; answers how many.</summary>
    Task<int> ReplayDeadLettersAsync(long? id, string? webhookId, CancellationToken cancellationToken = default);

    Task<bool> DeleteDeadLetterAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Enabled webhooks, pending deliveries and dead letters, for <c>/stats</c> and <c>/metrics</c>.</summary>
    Task<WebhookCounts> CountAsync(CancellationToken cancellationToken = default);
}
