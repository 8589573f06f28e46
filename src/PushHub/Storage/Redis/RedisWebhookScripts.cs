namespace PushHub.Storage.Redis;

/// <summary>
/// The Lua scripts of the Redis webhook store, embedded beside it (<c>Scripts/*.lua</c>); each says at its top what keys and
/// arguments it takes and why its reads come first. <c>outbox-shared.lua</c> is prepended to the scripts that hand
/// deliveries over or write attempt lines.
/// </summary>
internal static class RedisWebhookScripts
{
    public static readonly string Load = Read("webhook-load");
    public static readonly string Create = Read("webhook-create");
    public static readonly string Update = Read("webhook-update");
    public static readonly string Delete = Read("webhook-delete");
    public static readonly string Claim = Read("outbox-claim");
    public static readonly string Resolve = Read("outbox-shared") + Read("outbox-resolve");
    public static readonly string Fallbacks = Read("outbox-shared") + Read("outbox-fallbacks");
    public static readonly string Enqueue = Read("outbox-enqueue");
    public static readonly string Stats = Read("outbox-stats");
    public static readonly string AppendAttempt = Read("outbox-shared") + "pushAttempt(ARGV[1], ARGV[2], ARGV[3])\nreturn {'OK'}\n";
    public static readonly string PruneAttemptLogs = Read("attempt-log-prune");
    public static readonly string ListDeadLetters = Read("dead-letter-list");
    public static readonly string ReplayDeadLetters = Read("dead-letter-replay");
    public static readonly string DeleteDeadLetter = Read("dead-letter-delete");

    private static string Read(string name) => RedisScripts.Load(name);
}
