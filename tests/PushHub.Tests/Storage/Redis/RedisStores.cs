using PushHub.Storage.Redis;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Storage.Specs;

namespace PushHub.Tests.Storage.Redis;

/// <summary>One real Redis for a whole test class (a class fixture); each test works under a fresh key prefix on it.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    /// <summary>The running server; a test fails with the reason when redis-server is not installed.</summary>
    public RedisServer Server => _server ?? throw new InvalidOperationException(RedisServer.Unavailable ?? "the Redis fixture did not start");

    public async Task InitializeAsync()
    {
        // Without redis-server the suites' spec facts are skipped at discovery ([RequiresRedis]); this is for the rest.
        if (RedisServer.Unavailable is null)
        {
            _server = await RedisServer.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// How the spec suites create a Redis store: a <see cref="RedisStorage"/> on the class's server under a key prefix of
/// its own (so tests never see each other's keys), and a second node as another <see cref="RedisStorage"/> — another
/// connection — on the same server and prefix. One instance per test.
/// </summary>
public sealed class RedisStores(RedisFixture redis)
{
    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";
    private TimeProvider _time = TimeProvider.System;

    /// <summary>The key prefix this test's stores share.</summary>
    public string Prefix => _prefix;

    public string Configuration => redis.Server.Configuration;

    public Task<StoreUnderTest> CreateAsync(TimeProvider time)
    {
        _time = time;
        return OpenAsync();
    }

    /// <summary>The same store as a second node sees it: another connection on the same server and prefix.</summary>
    public Task<StoreUnderTest> OpenSecondNodeAsync() => OpenAsync();

    private Task<StoreUnderTest> OpenAsync()
    {
        var storage = RedisStorage.Connect(new RedisStorageOptions { Configuration = Configuration, KeyPrefix = _prefix }, _time);
        return Task.FromResult(new StoreUnderTest(storage.Events, storage.Webhooks, storage.Leases, storage.DisposeAsync));
    }
}

/// <summary>Skips a Redis suite's inherited spec facts, saying why, where redis-server is not installed.</summary>
public sealed class RequiresRedisAttribute : RequiresServerAttribute
{
    public override string? Unavailable => RedisServer.Unavailable;
}

[RequiresRedis]
public sealed class RedisEventStoreTests(RedisFixture redis) : EventStoreSpec, IClassFixture<RedisFixture>
{
    private readonly RedisStores _stores = new(redis);

    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => _stores.CreateAsync(time);

    protected override Task<StoreUnderTest> OpenSecondNodeAsync() => _stores.OpenSecondNodeAsync();
}

[RequiresRedis]
public sealed class RedisLogFollowerTests(RedisFixture redis) : LogFollowerSpec, IClassFixture<RedisFixture>
{
    private readonly RedisStores _stores = new(redis);

    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => _stores.CreateAsync(time);

    protected override Task<StoreUnderTest> OpenSecondNodeAsync() => _stores.OpenSecondNodeAsync();
}
