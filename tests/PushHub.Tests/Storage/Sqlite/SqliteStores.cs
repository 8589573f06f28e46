using PushHub.Storage;
using PushHub.Storage.Sqlite;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Storage.Specs;

namespace PushHub.Tests.Storage.Sqlite;

/// <summary>How the spec suites create an SQLite store: a new database file in a folder of its own, deleted afterwards.</summary>
internal static class SqliteStores
{
    public static Task<StoreUnderTest> CreateAsync(TimeProvider time)
    {
        var directory = TestPaths.NewTempDirectory();
        var storage = SqliteStorage.Open(new StorageOptions { Path = Path.Combine(directory, "pushhub.db") }, time);
        return Task.FromResult(new StoreUnderTest(storage.Events, storage.Webhooks, storage.Leases, async () =>
        {
            await storage.DisposeAsync();
            TestPaths.TryDelete(directory);
        }));
    }
}

public sealed class SqliteEventStoreTests : EventStoreSpec
{
    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => SqliteStores.CreateAsync(time);
}

public sealed class SqliteWebhookStoreTests : WebhookStoreSpec
{
    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => SqliteStores.CreateAsync(time);
}

public sealed class SqliteLogFollowerTests : LogFollowerSpec
{
    protected override Task<StoreUnderTest> CreateStoreAsync(TimeProvider time) => SqliteStores.CreateAsync(time);
}
