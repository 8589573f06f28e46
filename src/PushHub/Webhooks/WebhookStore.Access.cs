using Dapper;

namespace PushHub.Webhooks;

internal sealed partial class WebhookStore
{
    /// <summary>Whether dead letter <paramref name="id"/> exists, and the task filter of its webhook (null: every task, or a deleted webhook: admins only).</summary>
    public async Task<(bool Found, string? TaskId)> GetDeadLetterTaskAsync(long id, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenReadConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<string?>(new CommandDefinition(
            "SELECT w.task_id FROM dead_letters d LEFT JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = @id",
            new { id }, cancellationToken: cancellationToken))).ToList();
        return rows.Count == 0 ? (false, null) : (true, rows[0]);
    }
}
