using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PushHub.Storage;

/// <summary>
/// Prunes the event log to <see cref="RetentionOptions.MaxEvents"/> and <see cref="RetentionOptions.MaxAge"/>, once per
/// cluster: a node sweeps only while it holds the <see cref="LeaseName"/> lease.
/// </summary>
public sealed partial class RetentionService(IPollingStore store, IClusterLeases leases, IOptions<RetentionOptions> options, TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    public const string LeaseName = "retention";

    private readonly RetentionOptions _options = options.Value;

    /// <summary>Held across ticks, so the holder keeps it; one that dies hands it on within this time.</summary>
    private TimeSpan LeaseDuration => _options.Interval * 2;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, time);
        do
        {
            try
            {
                if (await leases.TryAcquireAsync(LeaseName, LeaseDuration, stoppingToken).ConfigureAwait(false))
                {
                    await SweepAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogSweepFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await leases.ReleaseAsync(LeaseName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One sweep: removes what is beyond the limits now.</summary>
    public async Task<long> SweepAsync(CancellationToken cancellationToken = default)
    {
        var removed = await store.PruneAsync(_options.MaxEvents, time.GetUtcNow() - _options.MaxAge, cancellationToken).ConfigureAwait(false);
        if (removed > 0)
        {
            LogPruned(logger, removed, store.FirstSeq);
        }
        return removed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Count} events; the oldest stored seq is now {FirstSeq}")]
    private static partial void LogPruned(ILogger logger, long count, long firstSeq);

    [LoggerMessage(Level = LogLevel.Error, Message = "The retention sweep failed; it will run again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
