using Microsoft.Data.Sqlite;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The prepared statements of the dispatcher's hot path (claim, resolve, attempt log), reused on the writer's one
/// connection as <see cref="AppendCommands"/> are: every delivery is claimed, resolved and logged, and a Dapper call
/// would parse and compile its statement again each time (issue #15).
/// </summary>
internal sealed class OutboxCommands : IDisposable
{
    // Superseded progress: a pending task.progress delivery with a newer one of the same task behind it. One under a
    // running lease is left to its claim (it may be on the wire already).
    private const string CoalesceSql =
        "DELETE FROM webhook_deliveries WHERE webhook_id = $webhook AND type = 'task.progress' AND lease_until <= $now " +
        "AND EXISTS (SELECT 1 FROM webhook_deliveries n WHERE n.webhook_id = webhook_deliveries.webhook_id " +
        "AND n.type = 'task.progress' AND n.task_id = webhook_deliveries.task_id AND n.seq > webhook_deliveries.seq)";

    // One statement picks the due rows and leases them, so two claims can never take the same row. The event's JSON
    // comes from a lookup by primary key per returned row (events.seq), not a scan.
    private const string ClaimSql =
        "UPDATE webhook_deliveries SET lease_until = $until, claim_token = $token WHERE id IN (" +
        "SELECT id FROM webhook_deliveries WHERE webhook_id = $webhook AND next_attempt_at <= $now AND lease_until <= $now " +
        "ORDER BY next_attempt_at, id LIMIT $max) " +
        "RETURNING id, seq, task_id, type, event_at, attempts, last_status, fallback_from, next_attempt_at, " +
        "coalesce(json, (SELECT e.json FROM events e WHERE e.seq = webhook_deliveries.seq))";

    private readonly SqliteCommand _coalesce;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _retry;
    private readonly SqliteCommand _release;
    private readonly SqliteCommand _isClaimed;
    private readonly SqliteCommand _insertAttempt;
    private readonly SqliteCommand[] _all;

    public OutboxCommands(SqliteConnection connection)
    {
        _coalesce = AppendCommands.Prepare(connection, CoalesceSql, "$webhook", "$now");
        _claim = AppendCommands.Prepare(connection, ClaimSql, "$webhook", "$now", "$until", "$token", "$max");
        // Each resolution holds only for the claim's holder: the token in the WHERE clause is the check.
        _delete = AppendCommands.Prepare(connection, "DELETE FROM webhook_deliveries WHERE id = $id AND claim_token = $token", "$id", "$token");
        _retry = AppendCommands.Prepare(connection,
            "UPDATE webhook_deliveries SET attempts = attempts + $spent, next_attempt_at = $at, " +
            "last_status = coalesce($status, last_status), lease_until = 0, claim_token = NULL WHERE id = $id AND claim_token = $token",
            "$id", "$token", "$spent", "$at", "$status");
        _release = AppendCommands.Prepare(connection,
            "UPDATE webhook_deliveries SET lease_until = 0, claim_token = NULL WHERE id = $id AND claim_token = $token", "$id", "$token");
        _isClaimed = AppendCommands.Prepare(connection, "SELECT 1 FROM webhook_deliveries WHERE id = $id AND claim_token = $token", "$id", "$token");
        _insertAttempt = AppendCommands.Prepare(connection,
            "INSERT INTO webhook_attempts (webhook_id, seq, attempt, outcome, status, duration_ms, error, response, attempted_at, next_attempt_at) " +
            "VALUES ($webhook, $seq, $attempt, $outcome, $status, $duration, $error, $response, $at, $next)",
            "$webhook", "$seq", "$attempt", "$outcome", "$status", "$duration", "$error", "$response", "$at", "$next");
        _all = [_coalesce, _claim, _delete, _retry, _release, _isClaimed, _insertAttempt];
    }

    public void Begin(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
    }

    /// <summary>Removes the webhook's superseded pending progress deliveries; answers how many.</summary>
    public int Coalesce(string webhookId, long nowMs)
    {
        _coalesce.Parameters[0].Value = webhookId;
        _coalesce.Parameters[1].Value = nowMs;
        return _coalesce.ExecuteNonQuery();
    }

    /// <summary>Leases up to <paramref name="max"/> due deliveries of the webhook under <paramref name="token"/>, oldest first.</summary>
    public List<ClaimedDelivery> Claim(string webhookId, long nowMs, long untilMs, long token, int max)
    {
        var p = _claim.Parameters;
        p[0].Value = webhookId;
        p[1].Value = nowMs;
        p[2].Value = untilMs;
        p[3].Value = token;
        p[4].Value = max;
        var rows = new List<(long NextAttemptAt, ClaimedDelivery Delivery)>();
        using (var reader = _claim.ExecuteReader())
        {
            while (reader.Read())
            {
                var delivery = new ClaimedDelivery(reader.GetInt64(0), webhookId, reader.GetInt64(1), reader.GetString(2), reader.GetString(3),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.IsDBNull(9) ? null : new ReadOnlyMemory<byte>((byte[])reader.GetValue(9)),
                    reader.IsDBNull(7) ? null : reader.GetString(7), token);
                rows.Add((reader.GetInt64(8), delivery));
            }
        }
        // RETURNING hands rows back in no particular order.
        rows.Sort((a, b) => a.NextAttemptAt != b.NextAttemptAt ? a.NextAttemptAt.CompareTo(b.NextAttemptAt) : a.Delivery.Id.CompareTo(b.Delivery.Id));
        return rows.ConvertAll(row => row.Delivery);
    }

    /// <summary>Whether the delivery is still held under the claim it was handed out with.</summary>
    public bool IsClaimed(ClaimedDelivery delivery) => Run(_isClaimed, delivery, query: true);

    /// <summary>Removes the delivery if its claim still holds; false (nothing written) when it does not.</summary>
    public bool Delete(ClaimedDelivery delivery) => Run(_delete, delivery);

    /// <summary>Gives the delivery its next attempt time and drops its lease, if its claim still holds.</summary>
    public bool Retry(ClaimedDelivery delivery, bool spendsAttempt, DateTimeOffset at, int? status)
    {
        var p = _retry.Parameters;
        p[2].Value = spendsAttempt ? 1 : 0;
        p[3].Value = at.ToUnixTimeMilliseconds();
        p[4].Value = status is { } code ? code : DBNull.Value;
        return Run(_retry, delivery);
    }

    /// <summary>Drops the delivery's lease without spending an attempt, if its claim still holds.</summary>
    public bool Release(ClaimedDelivery delivery) => Run(_release, delivery);

    public void InsertAttempt(DeliveryAttemptRecord attempt)
    {
        var p = _insertAttempt.Parameters;
        p[0].Value = attempt.WebhookId;
        p[1].Value = attempt.Seq;
        p[2].Value = attempt.Attempt;
        p[3].Value = attempt.Outcome;
        p[4].Value = attempt.Status is { } status ? status : DBNull.Value;
        p[5].Value = attempt.DurationMs;
        p[6].Value = (object?)attempt.Error ?? DBNull.Value;
        p[7].Value = (object?)attempt.Response ?? DBNull.Value;
        p[8].Value = attempt.AttemptedAt.ToUnixTimeMilliseconds();
        p[9].Value = attempt.NextAttemptAt is { } next ? next.ToUnixTimeMilliseconds() : DBNull.Value;
        _insertAttempt.ExecuteNonQuery();
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    private static bool Run(SqliteCommand command, ClaimedDelivery delivery, bool query = false)
    {
        command.Parameters[0].Value = delivery.Id;
        command.Parameters[1].Value = delivery.ClaimToken;
        return query ? command.ExecuteScalar() is not null : command.ExecuteNonQuery() == 1;
    }
}
