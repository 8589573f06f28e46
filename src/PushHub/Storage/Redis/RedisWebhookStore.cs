namespace PushHub.Storage.Redis;

/// <summary>
/// A placeholder until the Redis webhook store lands: no webhooks are ever enabled, so appends enqueue nothing, and
/// every webhook operation says plainly that it is not available yet.
/// </summary>
internal sealed class RedisWebhookStore : IWebhookStore
{
    private static NotSupportedException Missing() =>
        new("Webhooks are not available yet with Storage:Provider=Redis; use Storage:Provider=Sqlite for webhooks.");

    public Task<IReadOnlyList<WebhookRecord>> ListEnabledAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<WebhookRecord>>([]);

    public Task<WebhookRecord> CreateAsync(WebhookRecord webhook, CancellationToken cancellationToken = default) => throw Missing();

    public Task<WebhookRecord?> GetAsync(string id, CancellationToken cancellationToken = default) => throw Missing();

    public Task<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken cancellationToken = default) => throw Missing();

    public Task<WebhookRecord?> UpdateAsync(string id, Func<WebhookRecord, WebhookRecord?> change, CancellationToken cancellationToken = default) =>
        throw Missing();

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => throw Missing();

    public Task<DeliveryClaim> ClaimDueAsync(string webhookId, DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default) =>
        throw Missing();

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default) => throw Missing();

    public Task<bool> ResolveAsync(ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution,
        CancellationToken cancellationToken = default) => throw Missing();

    public Task<int> EnqueueOverdueFallbacksAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => throw Missing();

    public Task<int> ReplayAsync(string webhookId, long after, long? until, CancellationToken cancellationToken = default) => throw Missing();

    public Task AppendAttemptAsync(DeliveryAttemptRecord attempt, CancellationToken cancellationToken = default) => throw Missing();

    public Task<IReadOnlyList<DeliveryAttemptRecord>> ListAttemptsAsync(string webhookId, int limit, CancellationToken cancellationToken = default) =>
        throw Missing();

    public Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(IReadOnlyCollection<string>? webhookIds, int limit,
        CancellationToken cancellationToken = default) => throw Missing();

    public Task<DeadLetterRecord?> GetDeadLetterAsync(long id, CancellationToken cancellationToken = default) => throw Missing();

    public Task<int> ReplayDeadLettersAsync(long? id, string? webhookId, CancellationToken cancellationToken = default) => throw Missing();

    public Task<bool> DeleteDeadLetterAsync(long id, CancellationToken cancellationToken = default) => throw Missing();

    public Task<WebhookCounts> CountAsync(CancellationToken cancellationToken = default) => throw Missing();
}
