using PushHub.Observability;
using PushHub.Storage;

namespace PushHub.Hub;

/// <summary>
/// This node's log follower: it sets the feed's starting head from the store before the server takes requests, then
/// follows the log (<see cref="IPollingStore.FollowAsync"/>) and hands every committed batch to the feed, in seq
/// order, whichever node committed it. Nothing else publishes to the feed.
/// </summary>
public sealed partial class LogFollower(IPollingStore store, IEventFeed feed, TimeProvider time, ILogger<LogFollower> logger,
    PushHubMetrics? metrics = null) : BackgroundService
{
    private static readonly TimeSpan s_retryDelay = TimeSpan.FromSeconds(1);

    private long _start;

    /// <summary>Hosted services start before the server does: every listener that joins the feed sees this head.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _start = store.HeadSeq;
        feed.Initialize(_start);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cursor = _start;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var batch in store.FollowAsync(cursor, stoppingToken).ConfigureAwait(false))
                {
                    feed.Publish(batch);
                    cursor = batch[^1].Seq;
                    metrics?.Committed(batch.Count);
                }
                return; // the store closed
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // Pick up from the last batch handed over: the feed's listeners miss nothing, they only wait.
                LogFollowFailed(logger, exception, cursor);
                try
                {
                    await Task.Delay(s_retryDelay, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Following the log after seq {Seq} failed; following again from there")]
    private static partial void LogFollowFailed(ILogger logger, Exception exception, long seq);
}
