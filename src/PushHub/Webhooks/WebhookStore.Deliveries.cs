using Dapper;
using Microsoft.Data.Sqlite;

namespace PushHub.Webhooks;

/// <summary>A pending delivery as the dispatcher takes it: the event body comes from its own copy or the events table.</summary>
internal sealed class PendingDelivery
{
    public long Id { get; init; }
    public string WebhookId { get; init; } = "";
    public long Seq { get; init; }
    public string TaskId { get; init; } = "";
    public string Type { get; init; } = "";
    public int Attempts { get; init; }
    public int? LastStatus { get; init; }
    public byte[]? Json { get; init; }
}

/// <summary>What one attempt came to, for the attempt log.</summary>
internal sealed record AttemptRecord(PendingDelivery Delivery, string Outcome, int? Status, double DurationMs, string? Error, string? Response, long AttemptedAt);

internal sealed partial class WebhookStore
{
    /// <summary>Due deliveries for one webhook, oldest first.</summary>
    public async Task<IReadOnlyList<PendingDelivery>> DueAsync(string webhookId, long nowMs, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PendingDelivery>(new CommandDefinition(
            "SELECT d.id AS Id, d.webhook_id AS WebhookId, d.seq AS Seq, d.task_id AS TaskId, d.type AS Type, d.attempts AS Attempts, " +
            "d.last_status AS LastStatus, coalesce(d.json, e.json) AS Json FROM webhook_deliveries d LEFT JOIN events e ON e.seq = d.seq " +
            "WHERE d.webhook_id = @webhookId AND d.next_attempt_at <= @nowMs ORDER BY d.next_attempt_at, d.id LIMIT @limit",
            new { webhookId, nowMs, limit }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>When the next pending delivery of an enabled webhook falls due, or null when none is pending.</summary>
    public async Task<long?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT min(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE w.enabled = 1",
            cancellationToken: cancellationToken));
    }

    /// <summary>A 2xx: the delivery is done.</summary>
    public Task RecordSuccessAsync(AttemptRecord record) => store.WriteAsync(context =>
    {
        // Nothing to record when the webhook was deleted while the attempt was under way.
        var removed = context.Connection.Execute("DELETE FROM webhook_deliveries WHERE id = @Id", record.Delivery, context.Transaction);
        if (removed > 0)
        {
            InsertAttempt(context.Connection, context.Transaction, record, record.Delivery.Attempts + 1, null);
        }
        return removed;
    });

    /// <summary>A failure with attempts left, or a deferral (<paramref name="spendsAttempt"/> false) by an open circuit.</summary>
    public Task RecordRetryAsync(AttemptRecord record, long nextAttemptAt, bool spendsAttempt) => store.WriteAsync(context =>
    {
        var attempts = record.Delivery.Attempts + (spendsAttempt ? 1 : 0);
        var updated = context.Connection.Execute(
            "UPDATE webhook_deliveries SET attempts = @attempts, next_attempt_at = @nextAttemptAt, last_status = coalesce(@Status, last_status) WHERE id = @Id",
            new { record.Delivery.Id, attempts, nextAttemptAt, record.Status }, context.Transaction);
        if (updated > 0)
        {
            InsertAttempt(context.Connection, context.Transaction, record, spendsAttempt ? attempts : attempts + 1, nextAttemptAt);
        }
        return updated;
    });

    /// <summary>The last retry failed (or the event is gone): the delivery becomes a dead letter.</summary>
    public Task RecordDeadLetterAsync(AttemptRecord record, string reason) => store.WriteAsync(context =>
    {
        var delivery = record.Delivery;
        if (context.Connection.Execute("DELETE FROM webhook_deliveries WHERE id = @Id", delivery, context.Transaction) == 0)
        {
            return 0;
        }
        InsertAttempt(context.Connection, context.Transaction, record, delivery.Attempts + 1, null);
        if (delivery.Json is not null)
        {
            context.Connection.Execute(
                "INSERT INTO dead_letters (webhook_id, seq, task_id, type, reason, attempts, last_status, created_at, json) " +
                "VALUES (@WebhookId, @Seq, @TaskId, @Type, @reason, @attempts, @status, @now, @Json)",
                new { delivery.WebhookId, delivery.Seq, delivery.TaskId, delivery.Type, reason, attempts = delivery.Attempts + 1,
                    status = record.Status ?? delivery.LastStatus, now = NowMs, delivery.Json }, context.Transaction);
        }
        return 1;
    });

    /// <summary>410 Gone: the endpoint is disabled and everything it had pending becomes a dead letter.</summary>
    public Task RecordGoneAsync(AttemptRecord record, string reason) => store.WriteAsync(context =>
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        var parameters = new { record.Delivery.WebhookId, reason, now = NowMs, deliveryId = record.Delivery.Id, status = record.Status };
        if (connection.Execute("UPDATE webhooks SET enabled = 0, disabled_reason = @reason, updated_at = @now WHERE id = @WebhookId", parameters, transaction) == 0)
        {
            return 0;
        }
        InsertAttempt(connection, transaction, record, record.Delivery.Attempts + 1, null);
        connection.Execute(
            "INSERT INTO dead_letters (webhook_id, seq, task_id, type, reason, attempts, last_status, created_at, json) " +
            "SELECT d.webhook_id, d.seq, d.task_id, d.type, @reason, d.attempts + (d.id = @deliveryId), " +
            "CASE WHEN d.id = @deliveryId THEN @status ELSE d.last_status END, @now, coalesce(d.json, e.json) " +
            "FROM webhook_deliveries d LEFT JOIN events e ON e.seq = d.seq " +
            "WHERE d.webhook_id = @WebhookId AND coalesce(d.json, e.json) IS NOT NULL ORDER BY d.id", parameters, transaction);
        connection.Execute("DELETE FROM webhook_deliveries WHERE webhook_id = @WebhookId", parameters, transaction);
        outbox.Reload(connection, transaction);
        return 0;
    });

    private static void InsertAttempt(SqliteConnection connection, SqliteTransaction transaction, AttemptRecord record, int attempt, long? next) =>
        connection.Execute(
            "INSERT INTO webhook_attempts (webhook_id, seq, attempt, outcome, status, duration_ms, error, response, attempted_at, next_attempt_at) " +
            "VALUES (@WebhookId, @Seq, @attempt, @Outcome, @Status, @DurationMs, @Error, @Response, @AttemptedAt, @next)",
            new { record.Delivery.WebhookId, record.Delivery.Seq, attempt, record.Outcome, record.Status, record.DurationMs, record.Error,
                record.Response, record.AttemptedAt, next }, transaction);
}
