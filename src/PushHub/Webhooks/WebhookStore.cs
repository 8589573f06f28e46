using Dapper;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>
/// The webhook tables. Every write runs on the store's single writer (<see cref="PollingStore.WriteAsync{T}"/>),
/// in the same group transactions as the events; reads use pooled read connections.
/// </summary>
internal sealed partial class WebhookStore(PollingStore store, WebhookOutbox outbox, TimeProvider time)
{
    private long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Loads the outbox's cache of enabled webhooks, so deliveries pending from a previous run are seen.</summary>
    public Task LoadAsync() => store.WriteAsync(context =>
    {
        outbox.Reload(context.Connection, context.Transaction);
        return 0;
    });

    public Task<WebhookRow> CreateAsync(WebhookRow row)
    {
        row.CreatedAt = row.UpdatedAt = NowMs;
        return store.WriteAsync(context =>
        {
            context.Connection.Execute(
                "INSERT INTO webhooks (id, url, task_id, types, description, secret, enabled, created_at, updated_at) " +
                "VALUES (@Id, @Url, @TaskId, @Types, @Description, @Secret, @Enabled, @CreatedAt, @UpdatedAt)", row, context.Transaction);
            outbox.Reload(context.Connection, context.Transaction);
            return row;
        });
    }

    public async Task<WebhookRow?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WebhookRow>> ListAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks ORDER BY created_at DESC, id DESC LIMIT @limit", new { limit }, cancellationToken: cancellationToken));
        return rows.AsList();
    }

    /// <summary>Applies <paramref name="change"/> to a webhook and stores it; null when there is no such webhook.</summary>
    public Task<WebhookRow?> UpdateAsync(string id, Action<WebhookRow, long> change) => store.WriteAsync(context =>
    {
        var row = context.Connection.QuerySingleOrDefault<WebhookRow>(
            $"SELECT {WebhookRow.Columns} FROM webhooks WHERE id = @id", new { id }, context.Transaction);
        if (row is null)
        {
            return null;
        }
        var now = NowMs;
        change(row, now);
        row.UpdatedAt = now;
        context.Connection.Execute(
            "UPDATE webhooks SET url = @Url, task_id = @TaskId, types = @Types, description = @Description, secret = @Secret, " +
            "previous_secret = @PreviousSecret, previous_until = @PreviousUntil, enabled = @Enabled, disabled_reason = @DisabledReason, " +
            "updated_at = @UpdatedAt WHERE id = @Id", row, context.Transaction);
        outbox.Reload(context.Connection, context.Transaction);
        return row;
    });

    /// <summary>Removes a webhook with its pending deliveries, attempt log and dead letters.</summary>
    public Task<bool> DeleteAsync(string id) => store.WriteAsync(context =>
    {
        var parameters = new { id };
        var removed = context.Connection.Execute("DELETE FROM webhooks WHERE id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM webhook_deliveries WHERE webhook_id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM webhook_attempts WHERE webhook_id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM dead_letters WHERE webhook_id = @id", parameters, context.Transaction);
        outbox.Reload(context.Connection, context.Transaction);
        return removed > 0;
    });

    public async Task<IReadOnlyList<DeliveryAttempt>> ListAttemptsAsync(string id, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AttemptRow>(new CommandDefinition(
            "SELECT seq AS Seq, attempt AS Attempt, outcome AS Outcome, status AS Status, duration_ms AS DurationMs, error AS Error, " +
            "response AS Response, attempted_at AS AttemptedAt, next_attempt_at AS NextAttemptAt FROM webhook_attempts " +
            "WHERE webhook_id = @id ORDER BY id DESC LIMIT @limit", new { id, limit }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToAttempt()).ToList();
    }

    /// <summary>Queues stored events after <paramref name="after"/> (up to <paramref name="until"/>) that match the
    /// webhook's filter for delivery again; answers how many.</summary>
    public Task<int> ReplayAsync(WebhookRow webhook, long after, long? until) => store.WriteAsync(context =>
        context.Connection.Execute(
            "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at) " +
            "SELECT @Id, seq, task_id, type, 0, @now FROM events WHERE seq > @after" +
            (until is null ? "" : " AND seq <= @until") +
            (webhook.TaskId is null ? "" : " AND task_id = @TaskId") +
            (webhook.Types is null ? "" : " AND type IN @types") +
            " ORDER BY seq",
            new { webhook.Id, webhook.TaskId, types = webhook.TypeList ?? [], after, until, now = NowMs }, context.Transaction));

    private sealed class AttemptRow
    {
        public long Seq { get; init; }
        public int Attempt { get; init; }
        public string Outcome { get; init; } = "";
        public int? Status { get; init; }
        public double DurationMs { get; init; }
        public string? Error { get; init; }
        public string? Response { get; init; }
        public long AttemptedAt { get; init; }
        public long? NextAttemptAt { get; init; }

        public DeliveryAttempt ToAttempt() => new(Seq, Attempt, Outcome, Status, DurationMs, Error, Response,
            DateTimeOffset.FromUnixTimeMilliseconds(AttemptedAt),
            NextAttemptAt is { } next ? DateTimeOffset.FromUnixTimeMilliseconds(next) : null);
    }
}
