using System.Security.Cryptography;
using System.Text;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// Which store provider the hubs of this test run use: SQLite by default, or Redis with
/// <c>PUSHHUB_TEST_STORAGE=Redis</c> (the second CI pass). With Redis, one redis-server serves the whole test
/// process, and each hub works under a key prefix derived from its database path: a hub started again on the same
/// database (a restart or crash drill) finds its log again, and two hubs on different databases never meet.
/// </summary>
public static class TestStorage
{
    private static readonly Lazy<RedisServer> s_server = new(StartServer, LazyThreadSafetyMode.ExecutionAndPublication);

    public static bool IsRedis =>
        string.Equals(Environment.GetEnvironmentVariable("PUSHHUB_TEST_STORAGE"), "Redis", StringComparison.OrdinalIgnoreCase);

    /// <summary>The settings that put a hub whose database is <paramref name="databasePath"/> on the provider under test.</summary>
    public static IReadOnlyDictionary<string, string?> Settings(string databasePath)
    {
        if (!IsRedis)
        {
            return new Dictionary<string, string?>();
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(databasePath))))[..16];
        return new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Redis",
            ["Storage:Redis:Configuration"] = s_server.Value.Configuration,
            ["Storage:Redis:KeyPrefix"] = $"hub-{hash}:",
            // Cluster mode needs a shared signing key; a test that sets its own overrides this one.
            ["Auth:TokenSigningKey"] = "test-signing-key-for-the-redis-pass-0123456789",
        };
    }

    private static RedisServer StartServer()
    {
        if (RedisServer.Unavailable is { } reason)
        {
            throw new InvalidOperationException($"PUSHHUB_TEST_STORAGE=Redis, but {reason}");
        }
        var server = RedisServer.StartAsync().GetAwaiter().GetResult();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
