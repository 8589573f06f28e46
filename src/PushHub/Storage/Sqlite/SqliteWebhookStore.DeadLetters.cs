using Dapper;

namespace PushHub.Storage.Sqlite;

internal sealed partial class SqliteWebhookStore
{
    private const string DeadLetterColumns =
        "id AS Id, webhook_id AS WebhookId, seq AS Seq, task_id AS TaskId, type AS Type, reason AS Reason, attempts AS Attempts, " +
        "last_status AS LastStatus, created_at AS CreatedAt";

    private const string AttemptColumns =
        "webhook_id AS WebhookId, seq AS Seq, attempt AS Attempt, outcome AS Outcome, status AS Status, duration_ms AS DurationMs, " +
        "error AS Error, response AS Response, attempted_at AS AttemptedAt, next_attempt_at AS NextAttemptAt";

    public Task<int> ReplayAsync(string webhookId, long after, long? until, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(context =>
        {
            var row = context.Connection.QuerySingleOrDefault<WebhookRow>(
                $"SELECT {WebhookRow.Columns} FROM webhooks WHERE id = @webhookId", new { webhookId }, context.Transaction);
            if (row is null)
            {
                return 0;
            }
            var webhook = row.ToRecord();
            return context.Connection.Execute(
                "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at, event_at) " +
                "SELECT @webhookId, seq, task_id, type, 0, @now, created_at FROM events WHERE seq > @after" +
                (until is null ? "" : " AND seq <= @until") +
                " AND " + WebhookRow.PatternCondition(webhook.TaskPattern) +
                (webhook.Types is null ? "" : " AND type IN @types") +
                " ORDER BY seq",
                new
                {
                    webhookId,
                    after,
                    until,
                    pattern = webhook.TaskPattern,
                    prefix = WebhookRow.PatternPrefix(webhook.TaskPattern),
                    types = webhook.Types ?? [],
                    now = storage.NowMs,
                },
                context.Transaction);
        });

    public Task AppendAttemptAsync(DeliveryAttemptRecord attempt, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(context =>
        {
            context.OutboxCommands.InsertAttempt(attempt);
            return 0;
        });

    public async Task<IReadOnlyList<DeliveryAttemptRecord>> ListAttemptsAsync(string webhookId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        // Retention trims the log to its cap in bulk; until then, lines beyond it are not shown.
        var rows = await connection.QueryAsync<AttemptRow>(new CommandDefinition(
            $"SELECT {AttemptColumns} FROM webhook_attempts WHERE webhook_id = @webhookId ORDER BY id DESC LIMIT @limit",
            new { webhookId, limit = Math.Min(limit, WebhookRecord.MaxAttemptLog) }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<DeadLetterRecord>> ListDeadLettersAsync(IReadOnlyCollection<string>? webhookIds, int limit,
        CancellationToken cancellationToken = default)
    {
        if (webhookIds is { Count: 0 })
        {
            return [];
        }
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DeadLetterRow>(new CommandDefinition(
            $"SELECT {DeadLetterColumns} FROM dead_letters" + (webhookIds is null ? "" : " WHERE webhook_id IN @webhookIds") +
            " ORDER BY id DESC LIMIT @limit", new { webhookIds, limit }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToRecord()).ToList();
    }

    public async Task<DeadLetterRecord?> GetDeadLetterAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DeadLetterRow>(new CommandDefinition(
            $"SELECT {DeadLetterColumns} FROM dead_letters WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public Task<int> ReplayDeadLettersAsync(long? id, string? webhookId, CancellationToken cancellationToken = default)
    {
        if (id is null && webhookId is null)
        {
            throw new ArgumentException("Name a dead letter or a webhook whose dead letters to replay.", nameof(id));
        }
        return storage.WriteAsync(context =>
        {
            var where = id is not null ? "id = @id" : "webhook_id = @webhookId";
            var parameters = new { id, webhookId, now = storage.NowMs };
            var queued = context.Connection.Execute(
                "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at, json, event_at, fallback_from, handed_to_fallback) " +
                $"SELECT webhook_id, seq, task_id, type, 0, @now, json, event_at, fallback_from, handed_to_fallback FROM dead_letters WHERE {where} ORDER BY id",
                parameters, context.Transaction);
            context.Connection.Execute($"DELETE FROM dead_letters WHERE {where}", parameters, context.Transaction);
            return queued;
        });
    }

    public Task<bool> DeleteDeadLetterAsync(long id, CancellationToken cancellationToken = default) => storage.WriteAsync(context =>
        context.Connection.Execute("DELETE FROM dead_letters WHERE id = @id", new { id }, context.Transaction) > 0);

    private sealed class AttemptRow
    {
        public string WebhookId { get; init; } = "";
        public long Seq { get; init; }
        public int Attempt { get; init; }
        public string Outcome { get; init; } = "";
        public int? Status { get; init; }
        public double DurationMs { get; init; }
        public string? Error { get; init; }
        public string? Response { get; init; }
        public long AttemptedAt { get; init; }
        public long? NextAttemptAt { get; init; }

        public DeliveryAttemptRecord ToRecord() => new(WebhookId, Seq, Attempt, Outcome, Status, DurationMs, Error, Response,
            DateTimeOffset.FromUnixTimeMilliseconds(AttemptedAt),
            NextAttemptAt is { } next ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null);
    }

    private sealed class DeadLetterRow
    {
        public long Id { get; init; }
        public string WebhookId { get; init; } = "";
        public long Seq { get; init; }
        public string TaskId { get; init; } = "";
        public string Type { get; init; } = "";
        public string Reason { get; init; } = "";
        public int Attempts { get; init; }
        public int? LastStatus { get; init; }
        public long CreatedAt { get; init; }

        public DeadLetterRecord ToRecord() =>
            new(Id, WebhookId, Seq, TaskId, Type, Reason, Attempts, LastStatus, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
