using System.Reflection;

namespace PushHub.Storage.Redis;

/// <summary>The Lua scripts of the Redis provider, embedded beside it (<c>Event*.lua</c>, <c>TaskList.lua</c>, <c>ClusterLease.lua</c>, <c>RateLimitTake.lua</c>).</summary>
internal static class RedisScripts
{
    public static readonly string Append = Load("EventAppend");
    public static readonly string Read = Load("EventRead");
    public static readonly string Prune = Load("EventPrune");
    public static readonly string Tasks = Load("TaskList");
    public static readonly string Lease = Load("ClusterLease");
    public static readonly string RateLimit = Load("RateLimitTake");

    /// <summary>An embedded <c>Storage/Redis/&lt;name&gt;.lua</c>; the webhook store's scripts load through it too.</summary>
    internal static string Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"PushHub.Storage.Redis.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
