using System.Reflection;

namespace PushHub.Storage.Redis;

/// <summary>The Lua scripts of the Redis provider, embedded beside it (<c>Scripts/*.lua</c>).</summary>
internal static class RedisScripts
{
    public static readonly string Append = Load("append");
    public static readonly string Read = Load("read");
    public static readonly string Prune = Load("prune");
    public static readonly string Tasks = Load("tasks");
    public static readonly string Lease = Load("lease");

    private static string Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"PushHub.Storage.Redis.{name}.lua")
            ?? throw new InvalidOperationException($"The Lua script {name}.lua is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
