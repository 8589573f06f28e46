using Dapper;
using Microsoft.Data.Sqlite;
using PushHub.Hub;

namespace PushHub.Storage.Sqlite;

/// <summary>
/// The SQLite side of the transactional outbox: inside the transaction that appends an event, it writes one pending
/// delivery for every enabled webhook the event matches (<see cref="WebhookRecord.Matches"/>), so a crash can lose
/// neither the event nor its deliveries. The enabled webhooks are cached, and reloaded on the writer inside the
/// transaction that changes one.
/// </summary>
internal sealed class SqliteOutbox
{
    private const string InsertSql =
        "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at, event_at) " +
        "VALUES ($webhook, $seq, $task, $type, 0, $at, $at)";

    private volatile WebhookRecord[]? _enabled;
    private SqliteCommand? _insert;

    /// <summary>The enabled webhooks as of the last reload, newest first; null until loaded (or after a rollback).</summary>
    public IReadOnlyList<WebhookRecord>? Enabled => _enabled;

    public void OnAppended(SqliteConnection connection, SqliteTransaction transaction, HubEvent stored)
    {
        var enabled = _enabled ?? Reload(connection, transaction);
        SqliteCommand? insert = null;
        foreach (var webhook in enabled)
        {
            if (webhook.Matches(stored.TaskId, stored.Type))
            {
                insert ??= PrepareInsert(connection, transaction);
                insert.Parameters[0].Value = webhook.Id;
                insert.Parameters[1].Value = stored.Seq;
                insert.Parameters[2].Value = stored.TaskId;
                insert.Parameters[3].Value = stored.Type;
                insert.Parameters[4].Value = stored.Timestamp.ToUnixTimeMilliseconds();
                insert.ExecuteNonQuery();
            }
        }
    }

    /// <summary>Rereads the enabled webhooks; called on the store's writer, inside the transaction that changed them.</summary>
    public WebhookRecord[] Reload(SqliteConnection connection, SqliteTransaction transaction)
    {
        var enabled = connection.Query<WebhookRow>(
                $"SELECT {WebhookRow.Columns} FROM webhooks WHERE enabled = 1 ORDER BY created_at DESC, id DESC", transaction: transaction)
            .Select(row => row.ToRecord()).ToArray();
        _enabled = enabled;
        return enabled;
    }

    /// <summary>Forgets the cache, after a rollback that may have undone the change it was loaded from.</summary>
    public void Invalidate() => _enabled = null;

    /// <summary>
    /// Pending deliveries of enabled webhooks hold back retention. A disabled webhook does not, or one forgotten
    /// endpoint would stop retention for good: its deliveries get their own copy of the event before it goes.
    /// </summary>
    public long? OldestSeqNeeded(SqliteConnection connection, SqliteTransaction transaction) =>
        connection.ExecuteScalar<long?>(
            "SELECT min(d.seq) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.json IS NULL AND w.enabled = 1",
            transaction: transaction);

    public void BeforePrune(SqliteConnection connection, SqliteTransaction transaction, long boundary) =>
        connection.Execute(
            "UPDATE webhook_deliveries SET json = (SELECT e.json FROM events e WHERE e.seq = webhook_deliveries.seq) " +
            "WHERE json IS NULL AND seq < @boundary", new { boundary }, transaction);

    /// <summary>The attempt log keeps what is younger than the event retention, and at most
    /// <see cref="WebhookRecord.MaxAttemptLog"/> lines per webhook.</summary>
    public void PruneHistory(SqliteConnection connection, SqliteTransaction transaction, long cutoffMs)
    {
        connection.Execute("DELETE FROM webhook_attempts WHERE attempted_at < @cutoffMs", new { cutoffMs }, transaction);
        foreach (var id in connection.Query<string>("SELECT id FROM webhooks", transaction: transaction).AsList())
        {
            connection.Execute(
                "DELETE FROM webhook_attempts WHERE webhook_id = @id AND id <= " +
                "(SELECT id FROM webhook_attempts WHERE webhook_id = @id ORDER BY id DESC LIMIT 1 OFFSET @max)",
                new { id, max = WebhookRecord.MaxAttemptLog }, transaction);
        }
    }

    private SqliteCommand PrepareInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (_insert is null || _insert.Connection != connection)
        {
            _insert?.Dispose();
            _insert = connection.CreateCommand();
            _insert.CommandText = InsertSql;
            foreach (var name in (string[])["$webhook", "$seq", "$task", "$type", "$at"])
            {
                _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }
        _insert.Transaction = transaction;
        return _insert;
    }
}
