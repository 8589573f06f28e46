using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using PushHub.Hub;
using PushHub.Storage;

namespace PushHub.Tasks;

/// <summary>
/// Publishes <c>task.stuck</c> for running tasks that have been silent for <see cref="TasksOptions.StuckAfter"/>, once per
/// cluster: a node scans only while it holds the <see cref="LeaseName"/> lease.
/// </summary>
public sealed partial class StuckTaskMonitor(IPollingStore store, IClusterLeases leases, IOptions<TasksOptions> options, TimeProvider time,
    ILogger<StuckTaskMonitor> logger) : BackgroundService
{
    public const string LeaseName = "stuck-tasks";

    private const int BatchSize = 500;

    private readonly TasksOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.StuckCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                // Held across ticks, so the holder keeps it; one that dies hands it on within two intervals.
                if (await leases.TryAcquireAsync(LeaseName, _options.StuckCheckInterval * 2, stoppingToken).ConfigureAwait(false))
                {
                    await ScanAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogScanFailed(logger, exception);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await leases.ReleaseAsync(LeaseName, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One scan: marks every running task silent since before now − StuckAfter. Answers the events published.</summary>
    public async Task<IReadOnlyList<HubEvent>> ScanAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var published = new List<HubEvent>();
        IReadOnlyList<TaskSnapshot> silent;
        do
        {
            silent = await store.FindSilentTasksAsync(now - _options.StuckAfter, BatchSize, cancellationToken).ConfigureAwait(false);
            foreach (var task in silent)
            {
                var silentFor = (long)(now - task.UpdatedAt).TotalSeconds;
                var data = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"silent_seconds\":{silentFor},\"last_seq\":{task.LastSeq}}}"));
                var input = new EventInput(task.TaskId, EventTypes.Stuck, data, IdempotencyKey: null);
                // Only if nothing arrived for the task since we looked: a late progress event wins.
                if (await store.AppendIfUnchangedAsync(input, task.LastSeq, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    published.Add(stored);
                    LogStuck(logger, task.TaskId, silentFor);
                }
            }
        }
        while (silent.Count == BatchSize);
        return published;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId} has been silent for {Seconds} s and is marked stuck")]
    private static partial void LogStuck(ILogger logger, string taskId, long seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stuck-task scan failed; it will run again at the next interval")]
    private static partial void LogScanFailed(ILogger logger, Exception exception);
}
