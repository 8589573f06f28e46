using Dapper;
using Microsoft.Data.Sqlite;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Webhooks;

/// <summary>
/// The transactional outbox: inside the transaction that appends an event, it writes one pending delivery for
/// every enabled webhook whose filter the event matches, so a crash can lose neither the event nor its deliveries.
/// Webhook filters are cached in memory and reloaded, on the writer, whenever a webhook changes.
/// </summary>
public sealed class WebhookOutbox : IAppendParticipant
{
    private const string InsertSql =
        "INSERT INTO webhook_deliveries (webhook_id, seq, task_id, type, attempts, next_attempt_at) " +
        "VALUES ($webhook, $seq, $task, $type, 0, $due)";

    private volatile Target[] _targets = [];
    private volatile bool _loaded;
    private SqliteCommand? _insert;

    /// <summary>Enabled webhooks with their filters, as of the last reload.</summary>
    internal IReadOnlyList<WebhookRow> Enabled => _enabled;

    private volatile WebhookRow[] _enabled = [];

    public void OnAppended(SqliteConnection connection, SqliteTransaction transaction, HubEvent stored)
    {
        if (!_loaded)
        {
            Reload(connection, transaction);
        }
        var targets = _targets;
        if (targets.Length == 0)
        {
            return;
        }
        var insert = PrepareInsert(connection, transaction);
        foreach (var target in targets)
        {
            if (target.Filter.Matches(stored))
            {
                insert.Parameters[0].Value = target.Id;
                insert.Parameters[1].Value = stored.Seq;
                insert.Parameters[2].Value = stored.TaskId;
                insert.Parameters[3].Value = stored.Type;
                insert.Parameters[4].Value = stored.Timestamp.ToUnixTimeMilliseconds();
                insert.ExecuteNonQuery();
            }
        }
    }

    /// <summary>How many attempts of one webhook the log keeps at most: as many as its deliveries endpoint can show.</summary>
    public const int MaxAttemptLog = 1000;

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

    /// <summary>The attempt log keeps what is younger than the event retention, and at most <see cref="MaxAttemptLog"/> per webhook.</summary>
    public void PruneHistory(SqliteConnection connection, SqliteTransaction transaction, long cutoffMs)
    {
        connection.Execute("DELETE FROM webhook_attempts WHERE attempted_at < @cutoffMs", new { cutoffMs }, transaction);
        foreach (var id in connection.Query<string>("SELECT id FROM webhooks", transaction: transaction).AsList())
        {
            connection.Execute(
                "DELETE FROM webhook_attempts WHERE webhook_id = @id AND id <= " +
                "(SELECT id FROM webhook_attempts WHERE webhook_id = @id ORDER BY id DESC LIMIT 1 OFFSET @max)",
                new { id, max = MaxAttemptLog }, transaction);
        }
    }

    /// <summary>Rereads the webhooks table; called on the store's writer, inside the transaction that changed it.</summary>
    internal void Reload(SqliteConnection connection, SqliteTransaction transaction)
    {
        var rows = connection.Query<WebhookRow>($"SELECT {WebhookRow.Columns} FROM webhooks WHERE enabled = 1", transaction: transaction).ToArray();
        _enabled = rows;
        _targets = rows.Select(row => new Target(row.Id, new EventFilter(row.TaskId is null ? null : [row.TaskId], row.TypeList))).ToArray();
        _loaded = true;
    }

    private SqliteCommand PrepareInsert(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (_insert is null || _insert.Connection != connection)
        {
            _insert?.Dispose();
            _insert = connection.CreateCommand();
            _insert.CommandText = InsertSql;
            foreach (var name in (string[])["$webhook", "$seq", "$task", "$type", "$due"])
            {
                _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }
        _insert.Transaction = transaction;
        return _insert;
    }

    private sealed record Target(string Id, EventFilter Filter);
}
