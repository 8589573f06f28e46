using Dapper;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The webhook tables. Every write runs on the store's single writer (<see cref="SqliteStorage.WriteAsync{T}"/>), in
/// the same group transactions as the events, so a claim or a resolution is one atomic step; reads use pooled read
/// connections.
/// </summary>
internal sealed partial class SqliteWebhookStore(SqliteStorage storage) : IWebhookStore
{
    public Task<WebhookRecord> CreateAsync(WebhookRecord webhook, CancellationToken cancellationToken = default)
    {
        var now = DateTimeOffset.FromUnixTimeMilliseconds(storage.NowMs);
        var stored = webhook with { CreatedAt = now, UpdatedAt = now };
        return storage.WriteAsync(context =>
        {
            context.Connection.Execute($"INSERT INTO webhooks ({WebhookRow.ColumnNames}) VALUES ({WebhookRow.Values})",
                WebhookRow.From(stored), context.Transaction);
            context.Outbox.Reload(context.Connection, context.Transaction);
            return stored;
        });
    }

    public async Task<WebhookRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    public async Task<IReadOnlyList<WebhookRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            $"SELECT {WebhookRow.Columns} FROM webhooks ORDER BY created_at DESC, id DESC", cancellationToken: cancellationToken));
        return rows.Select(row => row.ToRecord()).ToList();
    }

    public async Task<IReadOnlyList<WebhookRecord>> ListEnabledAsync(CancellationToken cancellationToken = default) =>
        storage.Outbox.Enabled
        ?? await storage.WriteAsync(context => context.Outbox.Reload(context.Connection, context.Transaction)).WaitAsync(cancellationToken);

    public Task<WebhookRecord?> UpdateAsync(string id, Func<WebhookRecord, WebhookRecord?> change, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(context =>
        {
            var row = context.Connection.QuerySingleOrDefault<WebhookRow>(
                $"SELECT {WebhookRow.Columns} FROM webhooks WHERE id = @id", new { id }, context.Transaction);
            if (row is null)
            {
                return null;
            }
            var current = row.ToRecord();
            if (change(current) is not { } changed)
            {
                return current;
            }
            // A disabled webhook's pending deliveries stay, and get their own copy of the event before retention
            // removes it (SqliteOutbox.BeforePrune), so they no longer hold the log back.
            var updated = changed with { Id = current.Id, CreatedAt = current.CreatedAt, UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(storage.NowMs) };
            context.Connection.Execute(
                "UPDATE webhooks SET url = @Url, format = @Format, task_id = @TaskPattern, types = @Types, options = @OptionsJson, " +
                "template = @Template, fallback_id = @FallbackWebhookId, fallback_after_ms = @FallbackAfterMs, " +
                "coalesce_progress = @CoalesceProgress, description = @Description, secret = @Secret, previous_secret = @PreviousSecret, " +
                "previous_until = @PreviousUntil, enabled = @Enabled, disabled_reason = @DisabledReason, updated_at = @UpdatedAt WHERE id = @Id",
                WebhookRow.From(updated), context.Transaction);
            context.Outbox.Reload(context.Connection, context.Transaction);
            return updated;
        });

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default) => storage.WriteAsync(context =>
    {
        var parameters = new { id };
        var removed = context.Connection.Execute("DELETE FROM webhooks WHERE id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM webhook_deliveries WHERE webhook_id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM webhook_attempts WHERE webhook_id = @id", parameters, context.Transaction);
        context.Connection.Execute("DELETE FROM dead_letters WHERE webhook_id = @id", parameters, context.Transaction);
        context.Outbox.Reload(context.Connection, context.Transaction);
        return removed > 0;
    });

    public async Task<WebhookCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await storage.OpenReadConnectionAsync(cancellationToken);
        var (webhooks, pending, deadLetters) = await connection.QuerySingleAsync<(long, long, long)>(new CommandDefinition(
            "SELECT (SELECT count(*) FROM webhooks WHERE enabled = 1), (SELECT count(*) FROM webhook_deliveries), (SELECT count(*) FROM dead_letters)",
            cancellationToken: cancellationToken));
        return new WebhookCounts(webhooks, pending, deadLetters);
    }
}
