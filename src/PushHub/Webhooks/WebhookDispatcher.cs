using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PushHub.Hub;

namespace PushHub.Webhooks;

/// <summary>
/// Sends due deliveries from the outbox. Woken by committed events, by finished attempts and by the clock
/// (<see cref="TimeProvider"/>, so tests drive retries without waiting); bounded in flight overall and per endpoint,
/// taking each endpoint's due deliveries separately so a slow endpoint cannot starve the others.
/// </summary>
internal sealed partial class WebhookDispatcher(
    WebhookStore store,
    WebhookOutbox outbox,
    WebhookSender sender,
    IEventFeed feed,
    IOptions<WebhookOptions> options,
    TimeProvider time,
    WebhookMetrics metrics,
    ILogger<WebhookDispatcher> logger) : BackgroundService, IFeedListener
{
    // Also the longest sleep: a clock that jumps (a FakeTimeProvider in tests) is noticed within one tick.
    private static readonly TimeSpan s_tick = TimeSpan.FromSeconds(1);

    private readonly WebhookOptions _options = options.Value;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<long, bool> _inFlight = new();
    private readonly ConcurrentDictionary<string, int> _inFlightByEndpoint = new(StringComparer.Ordinal);
    // Deliveries whose attempt finished, with the dispatch pass it finished in. A pass reads the due deliveries
    // from a snapshot that may predate an attempt's record: one that finished during the pass is skipped until
    // the next pass, or it would be sent again.
    private readonly ConcurrentDictionary<long, long> _finishedInPass = new();
    private long _pass;
    private long _lastLoop;
    private long _dispatchedAt;

    /// <summary>True while the dispatch loop runs.</summary>
    public bool IsRunning => ExecuteTask is { IsCompleted: false } && Volatile.Read(ref _lastLoop) != 0;

    /// <summary>Deliveries being attempted right now.</summary>
    public int InFlight => _inFlight.Count;

    void IFeedListener.OnEvent(HubEvent stored) => Wake();

    bool IFeedListener.IsSubscriber => false;

    /// <summary>Asks the loop to look for due deliveries now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await store.LoadAsync();
        using var registration = feed.Listen(EventFilter.All, this);
        LogStarted(logger, outbox.Enabled.Count);
        while (!stoppingToken.IsCancellationRequested)
        {
            Volatile.Write(ref _lastLoop, time.GetTimestamp());
            TimeSpan sleep;
            try
            {
                await DispatchDueAsync(stoppingToken);
                sleep = await SleepAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogLoopFailed(logger, exception);
                sleep = s_tick;
            }
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(sleep, time, delay.Token);
            var woken = _wake.Reader.WaitToReadAsync(delay.Token).AsTask();
            try
            {
                await Task.WhenAny(timer, woken);
            }
            finally
            {
                delay.Cancel();
            }
            _wake.Reader.TryRead(out _);
        }
    }

    /// <summary>Stops the loop, then lets cancelled attempts unwind before the store they record into goes away.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        while (!_inFlight.IsEmpty && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
        }
    }

    private async Task DispatchDueAsync(CancellationToken cancellationToken)
    {
        var pass = Interlocked.Increment(ref _pass);
        foreach (var (id, finished) in _finishedInPass)
        {
            if (finished < pass - 1)
            {
                _finishedInPass.TryRemove(id, out _);
            }
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        _dispatchedAt = now;
        foreach (var webhook in outbox.Enabled)
        {
            var busy = _inFlightByEndpoint.GetValueOrDefault(webhook.Id);
            var free = Math.Min(_options.MaxConcurrentPerEndpoint - busy, _options.MaxConcurrentDeliveries - _inFlight.Count);
            if (free <= 0)
            {
                continue;
            }
            // Ask for the busy ones too: they are still due in the table until their attempt is recorded.
            var due = await store.DueAsync(webhook.Id, now, free + busy, cancellationToken);
            foreach (var delivery in due)
            {
                if (free == 0)
                {
                    break;
                }
                if (_finishedInPass.TryGetValue(delivery.Id, out var finished) && finished >= pass)
                {
                    continue; // recorded after this pass began: the row read may be stale
                }
                if (_inFlight.TryAdd(delivery.Id, true))
                {
                    free--;
                    _inFlightByEndpoint.AddOrUpdate(webhook.Id, 1, (_, count) => count + 1);
                    _ = AttemptAsync(webhook, delivery, cancellationToken);
                }
            }
        }
    }

    private async Task<TimeSpan> SleepAsync(CancellationToken cancellationToken)
    {
        var next = await store.NextDueAsync(cancellationToken);
        if (next is null)
        {
            return s_tick;
        }
        if (next.Value <= _dispatchedAt)
        {
            // Due when we last looked, so in flight or held back by a concurrency limit: a finished attempt wakes us.
            return s_tick;
        }
        var wait = DateTimeOffset.FromUnixTimeMilliseconds(next.Value) - time.GetUtcNow();
        // Not positive: it fell due while we looked (the clock moved), so look again at once.
        return wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < s_tick ? wait : s_tick;
    }

    private async Task AttemptAsync(WebhookRow webhook, PendingDelivery delivery, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await AttemptCoreAsync(webhook, delivery, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the delivery stays pending and is attempted again after the restart.
        }
        catch (Exception exception)
        {
            LogAttemptFailed(logger, exception, webhook.Id, delivery.Seq);
        }
        finally
        {
            _finishedInPass[delivery.Id] = Volatile.Read(ref _pass);
            _inFlight.TryRemove(delivery.Id, out _);
            _inFlightByEndpoint.AddOrUpdate(webhook.Id, 0, (_, count) => count - 1);
            Wake();
        }
    }
}
