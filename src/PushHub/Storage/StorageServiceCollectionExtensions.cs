using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
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

        services.AddSingleton(sp => Provider(sp).Events);
        services.AddSingleton(sp => Provider(sp).Webhooks);
        services.AddSingleton(sp => Provider(sp).Leases);
        services.AddHostedService<RetentionService>();
        return services;
    }

    private static SqliteStorage Provider(IServiceProvider services) =>
        services.GetRequiredService<IOptions<StorageOptions>>().Value.Provider switch
        {
            StorageProvider.Sqlite => services.GetRequiredService<SqliteStorage>(),
            // StorageOptions' validation stops the start with this message first; this is for a store resolved before it.
            var other => throw new InvalidOperationException(
                $"Storage:Provider is {other}, but the {other} provider is not built into this version; set Storage:Provider to Sqlite."),
        };
}
