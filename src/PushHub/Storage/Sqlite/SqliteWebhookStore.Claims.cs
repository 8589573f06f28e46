using Dapper;

namespace PushHub.Storage.Sqlite;

internal sealed partial class SqliteWebhookStore
{
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
            // The writer's cache of enabled webhooks is reloaded inside every transaction that changes one, so it
            // answers as a SELECT here would, without one per pass.
            var enabled = context.Outbox.Enabled ?? context.Outbox.Reload(context.Connection, context.Transaction);
            if (enabled.FirstOrDefault(webhook => webhook.Id == webhookId) is not { } claimed)
            {
                return DeliveryClaim.Empty;
            }
            var commands = context.OutboxCommands;
            var coalesced = claimed.CoalesceProgress ? commands.Coalesce(webhookId, nowMs) : 0;
            return new DeliveryClaim(commands.Claim(webhookId, nowMs, until, token, max), coalesced);
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
        CancellationToken cancellationToken = default) => storage.WriteAsync(context => Resolve(context, delivery, attempt, resolution));

    // One writer op (one savepoint in the writer's group commit) for the whole batch instead of one per delivery.
    public Task<IReadOnlyList<bool>> ResolveManyAsync(IReadOnlyList<DeliveryOutcome> outcomes, CancellationToken cancellationToken = default) =>
        storage.WriteAsync<IReadOnlyList<bool>>(context =>
        {
            var held = new bool[outcomes.Count];
            for (var i = 0; i < held.Length; i++)
            {
                held[i] = Resolve(context, outcomes[i].Delivery, outcomes[i].Attempt, outcomes[i].Resolution);
            }
            return held;
        });

    private bool Resolve(WriteContext context, ClaimedDelivery delivery, DeliveryAttemptRecord? attempt, DeliveryResolution resolution)
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        var commands = context.OutboxCommands;
        // The resolution's own statement checks the claim (its token in the WHERE clause): when the claim is gone it
        // changes nothing, and the attempt is not logged either.
        var held = resolution switch
        {
            DeliveryResolution.Delivered or DeliveryResolution.Discard => commands.Delete(delivery),
            DeliveryResolution.Retry retry => commands.Retry(delivery, retry.SpendsAttempt, retry.At, attempt?.Status),
            DeliveryResolution.Release => commands.Release(delivery),
            DeliveryResolution.DeadLetter or DeliveryResolution.Disable => commands.IsClaimed(delivery),
            _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "not a resolution this store knows"),
        };
        if (!held)
        {
            return false; // the lease ran out and another claim took it, or it is gone with its webhook
        }
        if (attempt is not null)
        {
            commands.InsertAttempt(attempt);
        }
        switch (resolution)
        {
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
        }
        return true;
    }

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
}
