using Dapper;

namespace PushHub.Storage.Sqlite;

internal sealed partial class SqliteWebhookStore
{
    /// <summary>How many deliveries one statement hands over, to stay far below SQLite's parameter limit.</summary>
    private const int HandOverChunk = 500;

    public Task<int> EnqueueOverdueFallbacksAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        storage.WriteAsync(context => HandToFallback(context,
            "w.fallback_after_ms IS NOT NULL AND d.event_at <= @now - w.fallback_after_ms",
            new DynamicParameters(new { now = now.ToUnixTimeMilliseconds() }),
            "not delivered within the fallback's after"));

    /// <summary>
    /// Enqueues, for the fallback of its webhook, the same event as each pending delivery <paramref name="selection"/>
    /// picks that was not handed over yet (once: the delivery is marked), with a line in both attempt logs. The original
    /// delivery stays as it is. <paramref name="parameters"/> must hold <c>@now</c>; answers how many were handed over.
    /// </summary>
    private static int HandToFallback(WriteContext context, string selection, DynamicParameters parameters, string why)
    {
        var (connection, transaction) = (context.Connection, context.Transaction);
        // The candidates first: a delivery enqueued here for a fallback is not one of them, even if it is overdue for the
        // fallback's own fallback too (a chain moves one step per call).
        var ids = connection.Query<long>(
            "SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN webhooks f ON f.id = w.fallback_id " +
            // Never straight back to where it came from: the API refuses cycles, and this keeps one that slipped in
            // (two writers, a hand-edited row) from bouncing an event between two webhooks for ever.
            "WHERE f.id <> w.id AND d.handed_to_fallback = 0 AND (d.fallback_from IS NULL OR d.fallback_from <> f.id) " +
            $"AND ({selection}) ORDER BY d.id", parameters, transaction).AsList();
        parameters.Add("why", why);
        foreach (var chunk in ids.Chunk(HandOverChunk))
        {
            parameters.Add("ids", chunk);
            const string Candidates = "FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id IN @ids";
            connection.Execute(
                "INSERT INTO webhook_attempts (webhook_id, seq, attempt, outcome, status, duration_ms, error, response, attempted_at, next_attempt_at) " +
                $"SELECT d.webhook_id, d.seq, d.attempts, 'fallback', NULL, 0, 'handed to fallback webhook ' || w.fallback_id || ' (' || @why || ')', NULL, @now, NULL {Candidates} " +
                $"UNION ALL SELECT w.fallback_id, d.seq, 0, 'fallback', NULL, 0, 'handed over from webhook ' || d.webhook_id || ' (' || @why || ')', NULL, @now, NULL {Candidates}",
                parameters, transaction);
            connection.Execute(
                "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at, json, event_at, fallback_from) " +
                $"SELECT w.fallback_id, d.seq, d.task_id, d.type, 0, @now, d.json, d.event_at, d.webhook_id {Candidates} ORDER BY d.id",
                parameters, transaction);
            connection.Execute("UPDATE webhook_deliveries SET handed_to_fallback = 1 WHERE id IN @ids", parameters, transaction);
        }
        return ids.Count;
    }
}
