using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks.Sources;

namespace PushHub.Hub;

/// <summary>
/// A subscription's live queue: any thread writes, one reader takes items and waits for more without blocking.
/// </summary>
/// <remarks>
/// Not an unbounded <c>Channel</c>: a waiting stream is most of what a hub holds, and the channel kept about 1.1 KB
/// per stream while empty (its first 32-slot segment, its reader and two cached wait operations), where this keeps
/// a <see cref="Queue{T}"/> and one reusable wait (issue #15). Its bound is the subscription's, in bytes.
/// Continuations run asynchronously: a writer (the feed's publishing thread) never runs a stream's loop.
/// </remarks>
internal sealed class EventQueue : IValueTaskSource<bool>
{
    private readonly Queue<HubEvent> _items = new();
    private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private bool _waiting;
    private bool _completed;

    /// <summary>Adds an item; false once <see cref="Complete"/> was called.</summary>
    public bool TryWrite(HubEvent item)
    {
        lock (_items)
        {
            if (_completed)
            {
                return false;
            }
            _items.Enqueue(item);
            if (!_waiting)
            {
                return true;
            }
            _waiting = false;
        }
        _wait.SetResult(true);
        return true;
    }

    /// <summary>Accepts no more items; a waiting reader is answered false once the queue is empty.</summary>
    public void Complete()
    {
        lock (_items)
        {
            if (_completed)
            {
                return;
            }
            _completed = true;
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        _wait.SetResult(false);
    }

    /// <summary>Takes the next item, if there is one. The reader's only.</summary>
    public bool TryRead([MaybeNullWhen(false)] out HubEvent item)
    {
        lock (_items)
        {
            return _items.TryDequeue(out item);
        }
    }

    /// <summary>Completes with true when an item is ready, false when the queue is completed and empty. One wait at a
    /// time (the reader's).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_items)
        {
            if (_items.Count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }
            _wait.Reset();
            _waiting = true;
        }
        // Registered outside the lock: a token cancelled meanwhile runs the callback here, and it takes the lock.
        // GetResult disposes it, and the reader calls GetResult only after this method has returned.
        var version = _wait.Version;
        _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((EventQueue)state!).Cancel(token), this);
        return new ValueTask<bool>(this, version);
    }

    private void Cancel(CancellationToken cancellationToken)
    {
        lock (_items)
        {
            if (!_waiting)
            {
                return;
            }
            _waiting = false;
        }
        _wait.SetException(new OperationCanceledException(cancellationToken));
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _cancellation.Dispose();
        _cancellation = default;
        return _wait.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
