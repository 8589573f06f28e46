namespace PushHub.Storage.Redis;

/// <summary>
/// The Lua scripts of the Redis webhook store, embedded beside it (<c>*.lua</c>); each says at its top what keys and
/// arguments it takes and why its reads come first. <c>OutboxShared.lua</c> is prepended to the scripts that hand
/// deliveries over or write attempt lines.
/// </summary>
internal static class RedisWebhookScripts
{
    public static readonly string Load = Read("WebhookLoad");
    public static readonly string Create = Read("WebhookCreate");
    public static readonly string Update = Read("WebhookUpdate");
    public static readonly string Delete = Read("WebhookDelete");
    public static readonly string Claim = Read("OutboxClaim");
    public static readonly string Resolve = Read("OutboxShared") + Read("OutboxResolve");
    public static readonly string ResolveMany = Read("OutboxShared") + Read("OutboxResolveMany");
    public static readonly string Fallbacks = Read("OutboxShared") + Read("OutboxFallbacks");
    public static readonly string Enqueue = Read("OutboxEnqueue");
    public static readonly string Stats = Read("OutboxStats");
    public static readonly string AppendAttempt = Read("OutboxShared") + "pushAttempt(ARGV[1], ARGV[2], ARGV[3])\nreturn {'OK'}\n";
    public static readonly string PruneAttemptLogs = Read("AttemptLogPrune");
    public static readonly string ListDeadLetters = Read("DeadLetterList");
    public static readonly string ReplayDeadLetters = Read("DeadLetterReplay");
    public static readonly string DeleteDeadLetter = Read("DeadLetterDelete");

    private static string Read(string name) => RedisScripts.Load(name);
}
