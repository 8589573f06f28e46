using Dapper;
using Microsoft.Data.Sqlite;

namespace PushHub.Storage;

/// <summary>
/// The database schema, created and upgraded at start. Each migration runs once, in order, in its own
/// transaction, and <c>PRAGMA user_version</c> records how far a database has come.
/// </summary>
internal static class Schema
{
    /// <summary>Migrations by version; append new ones, never edit a released one.</summary>
    public static readonly IReadOnlyList<string> Migrations =
    [
        // 1: the event log, the task projection, idempotency keys, and a small key/value table.
        """
        CREATE TABLE events (
            seq        INTEGER PRIMARY KEY,
            task_id    TEXT    NOT NULL,
            type       TEXT    NOT NULL,
            created_at INTEGER NOT NULL,   -- Unix milliseconds
            json       BLOB    NOT NULL    -- the event exactly as every reader receives it
        );
        CREATE INDEX ix_events_task ON events (task_id, seq);

        CREATE TABLE tasks (
            task_id     TEXT    PRIMARY KEY,
            status      TEXT    NOT NULL,
            percent     REAL,
            message     TEXT,
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            last_seq    INTEGER NOT NULL,
            event_count INTEGER NOT NULL
        );
        CREATE INDEX ix_tasks_updated ON tasks (updated_at DESC, task_id);
        CREATE INDEX ix_tasks_status ON tasks (status, updated_at DESC);

        CREATE TABLE idempotency (
            key TEXT    PRIMARY KEY,
            seq INTEGER NOT NULL
        );
        CREATE INDEX ix_idempotency_seq ON idempotency (seq);

        CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO meta (key, value) VALUES ('head_seq', 0);
        """,
    ];

    public static int CurrentVersion => Migrations.Count;

    public static void Migrate(SqliteConnection connection)
    {
        var version = connection.ExecuteScalar<int>("PRAGMA user_version");
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database is at schema version {version}, newer than this PushHub knows ({CurrentVersion}). " +
                "Run a newer PushHub, or point Storage:Path at another file.");
        }
        for (var next = version + 1; next <= CurrentVersion; next++)
        {
            using var transaction = connection.BeginTransaction();
            connection.Execute(Migrations[next - 1], transaction: transaction);
            // PRAGMA takes no parameters; the value is our own integer.
            connection.Execute($"PRAGMA user_version = {next}", transaction: transaction);
            transaction.Commit();
        }
    }
}
