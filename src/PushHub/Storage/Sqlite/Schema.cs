using Dapper;
using Microsoft.Data.Sqlite;

namespace PushHub.Storage.Sqlite;

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
        // 2: webhooks, their outbox of pending deliveries, the attempt log and dead letters.
        """
        CREATE TABLE webhooks (
            id                 TEXT    PRIMARY KEY,
            url                TEXT    NOT NULL,
            task_id            TEXT,
            types              TEXT,              -- space-separated, NULL for all types
            description        TEXT,
            secret             TEXT    NOT NULL,
            previous_secret    TEXT,
            previous_until     INTEGER,           -- Unix milliseconds the previous secret stops signing
            enabled            INTEGER NOT NULL,
            disabled_reason    TEXT,
            created_at         INTEGER NOT NULL,
            updated_at         INTEGER NOT NULL
        );

        CREATE TABLE webhook_deliveries (
            id              INTEGER PRIMARY KEY,
            webhook_id      TEXT    NOT NULL,
            seq             INTEGER NOT NULL,
            task_id         TEXT    NOT NULL,
            type            TEXT    NOT NULL,
            attempts        INTEGER NOT NULL,
            next_attempt_at INTEGER NOT NULL,    -- Unix milliseconds
            last_status     INTEGER,
            json            BLOB                 -- a copy of the event for replayed dead letters; NULL reads events
        );
        CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at);
        CREATE INDEX ix_webhook_deliveries_webhook ON webhook_deliveries (webhook_id, next_attempt_at, id);
        CREATE INDEX ix_webhook_deliveries_seq ON webhook_deliveries (seq) WHERE json IS NULL;

        CREATE TABLE webhook_attempts (
            id              INTEGER PRIMARY KEY,
            webhook_id      TEXT    NOT NULL,
            seq             INTEGER NOT NULL,
            attempt         INTEGER NOT NULL,
            outcome         TEXT    NOT NULL,
            status          INTEGER,
            duration_ms     REAL    NOT NULL,
            error           TEXT,
            response        TEXT,
            attempted_at    INTEGER NOT NULL,
            next_attempt_at INTEGER
        );
        CREATE INDEX ix_webhook_attempts_webhook ON webhook_attempts (webhook_id, id DESC);

        CREATE TABLE dead_letters (
            id          INTEGER PRIMARY KEY,
            webhook_id  TEXT    NOT NULL,
            seq         INTEGER NOT NULL,
            task_id     TEXT    NOT NULL,
            type        TEXT    NOT NULL,
            reason      TEXT    NOT NULL,
            attempts    INTEGER NOT NULL,
            last_status INTEGER,
            created_at  INTEGER NOT NULL,
            json        BLOB    NOT NULL
        );
        CREATE INDEX ix_dead_letters_webhook ON dead_letters (webhook_id, id DESC);
        """,
        // 3: what the store-owned outbox needs (issue #13). A webhook's format, options, template, fallback and progress
        // coalescing (webhooks.task_id holds a task pattern from now on: an exact id is one). Per delivery, the claim a
        // dispatcher holds it under (lease end, token), its event's commit time, and the fallback bookkeeping — kept
        // on dead letters too, so a replayed one is not handed to the fallback a second time.
        """
        ALTER TABLE webhooks ADD COLUMN format            TEXT    NOT NULL DEFAULT 'standard';
        ALTER TABLE webhooks ADD COLUMN options           TEXT;              -- a JSON object, secrets included
        ALTER TABLE webhooks ADD COLUMN template          TEXT;
        ALTER TABLE webhooks ADD COLUMN fallback_id       TEXT;
        ALTER TABLE webhooks ADD COLUMN fallback_after_ms INTEGER;           -- NULL: handed over on dead letter only
        ALTER TABLE webhooks ADD COLUMN coalesce_progress INTEGER NOT NULL DEFAULT 0;

        ALTER TABLE webhook_deliveries ADD COLUMN lease_until        INTEGER NOT NULL DEFAULT 0;  -- Unix ms; 0 or past: unclaimed
        ALTER TABLE webhook_deliveries ADD COLUMN claim_token        INTEGER;
        ALTER TABLE webhook_deliveries ADD COLUMN event_at           INTEGER NOT NULL DEFAULT 0;  -- Unix ms the event was committed
        ALTER TABLE webhook_deliveries ADD COLUMN fallback_from      TEXT;                        -- the webhook that handed it over
        ALTER TABLE webhook_deliveries ADD COLUMN handed_to_fallback INTEGER NOT NULL DEFAULT 0;
        UPDATE webhook_deliveries SET event_at =
            coalesce((SELECT e.created_at FROM events e WHERE e.seq = webhook_deliveries.seq), next_attempt_at);
        -- The next delivery to fall due, whether it waits for its attempt or for a claim's lease to end.
        DROP INDEX ix_webhook_deliveries_due;
        CREATE INDEX ix_webhook_deliveries_next_due ON webhook_deliveries (max(next_attempt_at, lease_until));
        -- Coalescing finds the newer progress of the same task.
        CREATE INDEX ix_webhook_deliveries_progress ON webhook_deliveries (webhook_id, task_id, seq) WHERE type = 'task.progress';

        ALTER TABLE dead_letters ADD COLUMN event_at           INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE dead_letters ADD COLUMN fallback_from      TEXT;
        ALTER TABLE dead_letters ADD COLUMN handed_to_fallback INTEGER NOT NULL DEFAULT 0;
        UPDATE dead_letters SET event_at = created_at;
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
