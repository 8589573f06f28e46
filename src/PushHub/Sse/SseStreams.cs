using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using PushHub.Hub;

namespace PushHub.Sse;

/// <summary>
/// The open SSE streams, for what concerns them all: one keep-alive tick for the hub and one registration on
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/>, where each stream held a timer and a linked
/// cancellation source of its own for as long as it was open (about 600 B per idle stream, issue #15).
/// </summary>
public sealed class SseStreams : IDisposable
{
    // Markers posted into a stream's subscription: the write loop turns them into a comment, or ends the stream.
    internal static readonly object KeepAliveMessage = new();
    internal static readonly object StopMessage = new();

    private readonly ConcurrentDictionary<SseStream, byte> _open = new();
    private readonly ITimer _ticker;
    private readonly CancellationToken _stopping;
    private readonly CancellationTokenRegistration _stopRegistration;

    public SseStreams(IOptions<SseOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        var interval = TimeSpan.FromSeconds(options.Value.KeepAliveSeconds);
        _ticker = time.CreateTimer(static state => ((SseStreams)state!).Tick(), this, interval, interval);
        _stopping = lifetime.ApplicationStopping;
        _stopRegistration = _stopping.UnsafeRegister(static state => ((SseStreams)state!).StopAll(), this);
    }

    /// <summary>Registers a stream until the returned handle is disposed.</summary>
    public SseStream Open(Subscription subscription, PipeWriter body)
    {
        var stream = new SseStream(this, subscription, body);
        _open.TryAdd(stream, 0);
        // Checked after the add: a stop that began meanwhile either saw this stream or is seen here.
        if (_stopping.IsCancellationRequested)
        {
            stream.Stop();
        }
        return stream;
    }

    // A stream gets a comment when a whole interval passed without an event: between one and two intervals after
    // the last one, then one every interval (the comment does not count as a write).
    private void Tick()
    {
        foreach (var stream in _open.Keys)
        {
            if (!stream.Written)
            {
                stream.Subscription.Post(KeepAliveMessage);
            }
            stream.Written = false;
        }
    }

    // A stopping hub ends every stream cleanly; their clients reconnect with Last-Event-ID and miss nothing.
    private void StopAll()
    {
        foreach (var stream in _open.Keys)
        {
            stream.Stop();
        }
    }

    public void Dispose()
    {
        _stopRegistration.Dispose();
        _ticker.Dispose();
    }

    /// <summary>One open stream, as the hub-wide tick and stop see it.</summary>
    public sealed class SseStream(SseStreams owner, Subscription subscription, PipeWriter body) : IDisposable
    {
        private int _stopped;

        internal Subscription Subscription => subscription;

        /// <summary>Set by the write loop when it writes an event or a reset, cleared by the tick.</summary>
        internal bool Written { get; set; } = true;

        /// <summary>True once the hub began to stop.</summary>
        public bool Stopped => Volatile.Read(ref _stopped) == 1;

        /// <summary>Ends the stream: the write loop meets the stop marker, or its pending flush returns cancelled.</summary>
        internal void Stop()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 1)
            {
                return;
            }
            subscription.Post(StopMessage);
            try
            {
                // A flush stuck on a client that reads nothing would otherwise hold the shutdown until the watchdog.
                body.CancelPendingFlush();
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
            {
                // The response finished as the stop came: nothing pending to cancel.
            }
        }

        public void Dispose() => owner._open.TryRemove(this, out _);
    }
}
