using Dapper;

namespace PushHub.Storage.Sqlite;

internal sealed partial class SqliteWebhookStore
{
    // Superseded progress: a pending task.progress delivery with a newer one of the same task behind it. One under a
    // running lease is left to its claim (it may be on the wire already).
    private const string CoalesceSql =
        "DELETE FROM webhook_deliveries WHERE webhook_id = @webhookId AND type = 'task.progress' AND lease_until <= @nowMs " +
        "AND EXISTS (SELECT 1 FROM webhook_deliveries n WHERE n.webhook_id = webhook_deliveries.webhook_id " +
        "AND n.type = 'task.progress' AND n.task_id = webhook_deliveries.task_id AND n.seq > webhook_deliveries.seq)";

    // One statement picks the due rows and leases them, so two claims can never take the same row.
    private const string ClaimSql =
        "UPDATE webhook_deliveries SET lease_until = @until, claim_token = @token WHERE id IN (" +
        "SELECT id FROM webhook_deliveries WHERE webhook_id = @webhookId AND next_attempt_at <= @nowMs AND lease_until <= @nowMs " +
        "ORDER BY next_attempt_at, id LIMIT @max) " +
        "RETURNING id AS Id, seq AS Seq, task_id AS TaskId, type AS Type, event_at AS EventAt, attempts AS Attempts, " +
        "last_status AS LastStatus, fallback_from AS FallbackFrom, next_attempt_at AS NextAttemptAt, " +
        "coalesce(json, (SELECT e.json FROM events e WHERE e.seq = webhook_deliveries.seq)) AS Json";

    public Task<DeliveryClaim> ClaimDueAsync(string webhookId, DateTimeOffset now, TimeSpan lease, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var nowMs = now.ToUnixTimeMilliseconds();
        var until = (now + lease).ToUnixTimeMilliseconds();
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        // Not cancellable once queued, like an append: a claim that is made must reach the caller.
        return storage.WriteAsync(context =>
        {
            var (connection, transaction) = (context.Connection, context.Transaction);
            var coalesce = connection.ExecuteScalar<bool?>(
                "SELECT coalesce_progress FROM webhooks WHERE id = @webhookId AND enabled = 1", new { webhookId }, transaction);
            if (coalesce is null)
            {
                return DeliveryClaim.Empty;
            }
            var coalesced = coalesce.Value ? connection.Execute(CoalesceSql, new { webhookId, nowMs }, transaction) : 0;
            var rows = connection.Query<ClaimRow>(ClaimSql, new { webhookId, nowMs, until, token, max }, transaction).AsList();
            // RETURNING hands rows back in no particular order.
            rows.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Id.CompareTo(b.Id));
            return new DeliveryClaim(rows.ConvertAll(row => row.ToClaimed(webhookId, token)), coalesced);
        });
    }

    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        // CROSS JOIN keeps the deliveries as the outer loop, so the scan walks ix_webhook_deliveries_next_due in order
        // and stops at the first delivery of an enabled webhook.
        var next = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT max(d.next_attempt_at, d.lease_until) FROM webhook_deliveries d CROSS JOIN webhooks w ON w.id = d.webhook_id " +
            "WHERE w.enabled = 1 ORDER BY max(d.next_attempt_at, d.lease_until) LIMIT 1", cancellationToken: cancellationToken));
        return next is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public Task<bool> ResolveAsync(ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution,
        CancellationToken cancellationToken = default) => storage.WriteAsync(context =>
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        var claim = new { delivery.Id, delivery.ClaimToken };
        if (connection.ExecuteScalar<long?>("SELECT id FROM webhook_deliveries WHERE id = @Id AND claim_token = @ClaimToken", claim, transaction) is null)
        {
            return false; // the lease ran out and another claim took it, or it is gone with its webhook
        }
        if (attempt is not null)
        {
            InsertAttempt(context, attempt);
        }
        switch (resolution)
        {
            case DeliveryResolution.Delivered or DeliveryResolution.Discard:
                connection.Execute("DELETE FROM webhook_deliveries WHERE id = @Id", claim, transaction);
                break;
            case DeliveryResolution.Retry retry:
                connection.Execute(
                    "UPDATE webhook_deliveries SET attempts = attempts + @spent, next_attempt_at = @at, " +
                    "last_status = coalesce(@status, last_status), lease_until = 0, claim_token = NULL WHERE id = @Id",
                    new { delivery.Id, spent = retry.SpendsAttempt ? 1 : 0, at = retry.At.ToUnixTimeMilliseconds(), status = attempt?.Status },
                    transaction);
                break;
            case DeliveryResolution.Release:
                connection.Execute("UPDATE webhook_deliveries SET lease_until = 0, claim_token = NULL WHERE id = @Id", claim, transaction);
                break;
            case DeliveryResolution.DeadLetter deadLetter:
                GiveUp(context, "d.id = @deliveryId", delivery, attempt, deadLetter.Reason);
                break;
            case DeliveryResolution.Disable disable:
                connection.Execute(
                    "UPDATE webhooks SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE id = @WebhookId",
                    new { delivery.WebhookId, reason = disable.Reason, now = storage.NowMs }, transaction);
                GiveUp(context, "d.webhook_id = @webhookId", delivery, attempt, disable.Reason);
                context.Outbox.Reload(connection, transaction);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "not a resolution this store knows");
        }
        return true;
    });

    /// <summary>
    /// Turns the deliveries <paramref name="selection"/> picks (one, or all of a webhook) into dead letters, each with its
    /// own copy of the event, after handing each to its webhook's fallback if it has not been handed over yet.
    /// </summary>
    private void GiveUp(WriteContext context, string selection, ClaimedDelivery claimed, DeliveryAttemptRecord? attempt, string reason)
    {
        var parameters = new
        {
            deliveryId = claimed.Id,
            webhookId = claimed.WebhookId,
            reason,
            attempts = attempt?.Attempt ?? claimed.Attempts,
            status = attempt?.Status,
            now = storage.NowMs,
        };
        HandToFallback(context, selection, new DynamicParameters(parameters), "dead letter: " + reason);
        context.Connection.Execute(
            "INSERT INTO dead_letters (webhook_id, seq, task_id, type, reason, attempts, last_status, created_at, json, " +
            "event_at, fallback_from, handed_to_fallback) " +
            "SELECT d.webhook_id, d.seq, d.task_id, d.type, @reason, " +
            "CASE WHEN d.id = @deliveryId THEN @attempts ELSE d.attempts END, " +
            "CASE WHEN d.id = @deliveryId THEN coalesce(@status, d.last_status) ELSE d.last_status END, " +
            "@now, coalesce(d.json, e.json), d.event_at, d.fallback_from, d.handed_to_fallback " +
            $"FROM webhook_deliveries d LEFT JOIN events e ON e.seq = d.seq WHERE {selection} AND coalesce(d.json, e.json) IS NOT NULL ORDER BY d.id",
            parameters, context.Transaction);
        context.Connection.Execute($"DELETE FROM webhook_deliveries AS d WHERE {selection}", parameters, context.Transaction);
    }

    private sealed class ClaimRow
    {
        public long Id { get; init; }
        public long Seq { get; init; }
        public string TaskId { get; init; } = "";
        public string Type { get; init; } = "";
        public long EventAt { get; init; }
        public int Attempts { get; init; }
        public int? LastStatus { get; init; }
        public string? FallbackFrom { get; init; }
        public long NextAttemptAt { get; init; }
        public byte[]? Json { get; init; }

        public ClaimedDelivery ToClaimed(string webhookId, long token) => new(Id, webhookId, Seq, TaskId, Type,
            DateTimeOffset.FromUnixTimeMilliseconds(EventAt), Attempts, LastStatus, Json is null ? null : Json, FallbackFrom, token);
    }
}
