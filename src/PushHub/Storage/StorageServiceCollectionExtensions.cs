using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PushHub.Storage.Redis;
using PushHub.Storage.Sqlite;

namespace PushHub.Storage;

/// <summary>Registers the store provider that <c>Storage:Provider</c> names, behind the storage interfaces.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The event log (<see cref="IPollingStore"/>), the webhook store (<see cref="IWebhookStore"/>), the cluster leases
    /// (<see cref="IClusterLeases"/>) and retention, on the provider <see cref="StorageOptions.Provider"/> picks; the
    /// provider opens when the first of them is used.
    /// </summary>
    public static IServiceCollection AddPushHubStorage(this IServiceCollection services)
    {
        services.AddValidatedOptions<StorageOptions>(StorageOptions.Section);
        services.AddValidatedOptions<RetentionOptions>(RetentionOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => SqliteStorage.Open(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => RedisStorage.Connect(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value.Redis, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));

        // Only the provider that Storage:Provider picks is ever resolved, so only it opens.
        services.AddSingleton(sp => IsRedis(sp) ? sp.GetRequiredService<RedisStorage>().Events : sp.GetRequiredService<SqliteStorage>().Events);
        services.AddSingleton(sp => IsRedis(sp) ? sp.GetRequiredService<RedisStorage>().Webhooks : sp.GetRequiredService<SqliteStorage>().Webhooks);
        services.AddSingleton(sp => IsRedis(sp) ? sp.GetRequiredService<RedisStorage>().Leases : sp.GetRequiredService<SqliteStorage>().Leases);
        services.AddHostedService<RetentionService>();
        // A request that meets a Redis failover, or a lease another node keeps, is answered 503 with Retry-After, not 500.
        services.AddExceptionHandler<StorageUnavailableHandler>();
        return services;
    }

    private static bool IsRedis(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.Provider == StorageProvider.Redis;
}
