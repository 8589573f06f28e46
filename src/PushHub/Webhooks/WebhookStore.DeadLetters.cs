using Dapper;

namespace PushHub.Webhooks;

internal sealed partial class WebhookStore
{
    private const string DeadLetterColumns =
        "id AS Id, webhook_id AS WebhookId, seq AS Seq, task_id AS TaskId, type AS Type, reason AS Reason, attempts AS Attempts, " +
        "last_status AS LastStatus, created_at AS CreatedAt";

    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(string? webhookId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<DeadLetterRow>(new CommandDefinition(
            $"SELECT {DeadLetterColumns} FROM dead_letters" + (webhookId is null ? "" : " WHERE webhook_id = @webhookId") +
            " ORDER BY id DESC LIMIT @limit", new { webhookId, limit }, cancellationToken: cancellationToken));
        return rows.Select(row => row.ToDeadLetter()).ToList();
    }

    /// <summary>Queues dead letters for delivery again, with fresh attempts, from their own copy of the event; answers how many.</summary>
    public Task<int> ReplayDeadLettersAsync(long? id, string? webhookId) => store.WriteAsync(context =>
    {
        var where = id is not null ? "id = @id" : "webhook_id = @webhookId";
        var parameters = new { id, webhookId, now = NowMs };
        var queued = context.Connection.Execute(
            "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at, json) " +
            $"SELECT webhook_id, seq, task_id, type, 0, @now, json FROM dead_letters WHERE {where} ORDER BY id", parameters, context.Transaction);
        context.Connection.Execute($"DELETE FROM dead_letters WHERE {where}", parameters, context.Transaction);
        return queued;
    });

    public Task<bool> DeleteDeadLetterAsync(long id) => store.WriteAsync(context =>
        context.Connection.Execute("DELETE FROM dead_letters WHERE id = @id", new { id }, context.Transaction) > 0);

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

        public DeadLetter ToDeadLetter() =>
            new(Id, WebhookId, Seq, TaskId, Type, Reason, Attempts, LastStatus, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
