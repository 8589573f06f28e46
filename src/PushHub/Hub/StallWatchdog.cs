using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace PushHub.Hub;

/// <summary>
/// Closes connections whose socket accepts nothing for <see cref="HubOptions.StalledWriteTimeout"/>: a transport marks
/// each write it starts and ends (two field writes, no allocation), and one timer, on the hub's
/// <see cref="TimeProvider"/>, looks at the writes in flight a few times per timeout.
/// </summary>
public sealed partial class StallWatchdog : IDisposable
{
    private readonly ConcurrentDictionary<Guard, byte> _guards = new();
    private readonly TimeProvider _time;
    private readonly SubscriberCounters _counters;
    private readonly ILogger<StallWatchdog> _logger;
    private readonly ITimer _timer;

    public StallWatchdog(IOptions<HubOptions> options, TimeProvider time, SubscriberCounters counters, ILogger<StallWatchdog> logger)
    {
        _time = time;
        _counters = counters;
        _logger = logger;
        Timeout = options.Value.StalledWriteTimeout;
        var period = Timeout / 4;
        _timer = time.CreateTimer(static state => ((StallWatchdog)state!).Check(), this, period, period);
    }

    public TimeSpan Timeout { get; }

    /// <summary>Watches one connection's writes until the guard is disposed; <paramref name="close"/> aborts the connection.</summary>
    public Guard Watch(string connectionId, Action close)
    {
        var guard = new Guard(this, connectionId, close);
        _guards.TryAdd(guard, 0);
        return guard;
    }

    private void Check()
    {
        var now = _time.GetTimestamp();
        foreach (var guard in _guards.Keys)
        {
            if (guard.StartedAt is var started and not 0 && _time.GetElapsedTime(started, now) >= Timeout && guard.Trip())
            {
                _counters.StalledClosed();
                LogStalled(_logger, guard.ConnectionId, Timeout);
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection {ConnectionId} accepted nothing for {Timeout} and was closed; its client resumes from its last seq")]
    private static partial void LogStalled(ILogger logger, string connectionId, TimeSpan timeout);

    /// <summary>One connection's write marks.</summary>
    public sealed class Guard(StallWatchdog owner, string connectionId, Action close) : IDisposable
    {
        private long _startedAt;
        private int _tripped;

        internal string ConnectionId => connectionId;

        internal long StartedAt => Volatile.Read(ref _startedAt);

        /// <summary>A write to the socket starts.</summary>
        public void Begin() => Volatile.Write(ref _startedAt, Math.Max(1, owner._time.GetTimestamp()));

        /// <summary>The write finished: the socket accepted it.</summary>
        public void End() => Volatile.Write(ref _startedAt, 0);

        internal bool Trip()
        {
            if (Interlocked.Exchange(ref _tripped, 1) == 1)
            {
                return false;
            }
            // Off the timer's thread: aborting runs the connection's own callbacks.
            ThreadPool.UnsafeQueueUserWorkItem(static action => action(), close, preferLocal: false);
            return true;
        }

        public void Dispose() => owner._guards.TryRemove(this, out _);
    }
}
