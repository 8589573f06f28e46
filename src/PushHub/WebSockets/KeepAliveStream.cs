namespace PushHub.WebSockets;

/// <summary>
/// The upgraded stream of a <c>/events/ws</c> connection, with the WebSocket keep-alive on the hub's
/// <see cref="TimeProvider"/>: every <c>WebSockets:KeepAliveSeconds</c> a ping frame (RFC 6455 §5.5.2) goes out between
/// the socket's own frames, and a peer that sent nothing at all — not even the pong — for as long again after a ping
/// is aborted. .NET's own keep-alive (<c>KeepAliveInterval</c>/<c>KeepAliveTimeout</c>) runs on real time, which
/// tests cannot move; this is the same behaviour, driven by the clock the rest of the hub uses.
/// </summary>
/// <remarks>
/// Writes are serialized, and a ping is written only at a frame boundary of what the WebSocket wrote (tracked by
/// <see cref="OutgoingFrames"/>), so it never lands inside a frame however the WebSocket splits its writes. A ping is
/// skipped while a write is under way: the connection is not idle, and a write that is stuck is the stall
/// watchdog's to close. Any byte read after a ping counts as its answer: a pong, or anything else, shows the peer
/// is there.
/// </remarks>
internal sealed class KeepAliveStream : Stream
{
    // FIN + ping, no payload, unmasked (a server's frames are not masked).
    private static readonly byte[] s_ping = [0x89, 0x00];

    private readonly Stream _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Action _abort;
    private readonly SemaphoreSlim _write = new(1, 1);
    private readonly OutgoingFrames _frames = new();
    private readonly ITimer _timer;
    private long _reads;
    private long _readsAtPing;
    private long _pingSentAt;
    private int _disposed;

    public KeepAliveStream(Stream inner, TimeProvider time, TimeSpan interval, TimeSpan timeout, Action abort)
    {
        _inner = inner;
        _time = time;
        _timeout = timeout;
        _abort = abort;
        _timer = time.CreateTimer(static state => ((KeepAliveStream)state!).Tick(), this, interval, interval);
    }

    private void Tick()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        if (Volatile.Read(ref _pingSentAt) is var sentAt and not 0)
        {
            if (Interlocked.Read(ref _reads) != Interlocked.Read(ref _readsAtPing))
            {
                Volatile.Write(ref _pingSentAt, 0);
            }
            else if (_time.GetElapsedTime(sentAt) >= _timeout)
            {
                Volatile.Write(ref _disposed, 1);
                // Off the timer's thread (a fake clock's Advance, in tests): aborting runs the connection's callbacks.
                ThreadPool.UnsafeQueueUserWorkItem(static abort => abort(), _abort, preferLocal: false);
                return;
            }
            else
            {
                return;
            }
        }
        if (!_write.Wait(0))
        {
            return;
        }
        if (!_frames.AtBoundary)
        {
            _write.Release();
            return;
        }
        Interlocked.Exchange(ref _readsAtPing, Interlocked.Read(ref _reads));
        Volatile.Write(ref _pingSentAt, Math.Max(1, _time.GetTimestamp()));
        _ = PingAsync();
    }

    private async Task PingAsync()
    {
        try
        {
            await _inner.WriteAsync(s_ping).ConfigureAwait(false);
            await _inner.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is going away; its own loops see that.
        }
        finally
        {
            _write.Release();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0)
        {
            Interlocked.Increment(ref _reads);
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _write.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            _frames.Advance(buffer.Span);
        }
        finally
        {
            _write.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Volatile.Write(ref _disposed, 1);
            _timer.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Where the written bytes are in the WebSocket's frames (RFC 6455 §5.2): in a header, in a payload, or
    /// between frames.</summary>
    internal sealed class OutgoingFrames
    {
        private readonly byte[] _header = new byte[14];
        private int _headerLength;
        private long _payloadLeft;

        public bool AtBoundary => _headerLength == 0 && _payloadLeft == 0;

        public void Advance(ReadOnlySpan<byte> written)
        {
            while (!written.IsEmpty)
            {
                if (_payloadLeft > 0)
                {
                    var take = (int)Math.Min(_payloadLeft, written.Length);
                    _payloadLeft -= take;
                    written = written[take..];
                    continue;
                }
                _header[_headerLength++] = written[0];
                written = written[1..];
                if (_headerLength < 2)
                {
                    continue;
                }
                var length7 = _header[1] & 0x7F;
                var lengthBytes = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
                var maskBytes = (_header[1] & 0x80) != 0 ? 4 : 0;
                if (_headerLength < 2 + lengthBytes + maskBytes)
                {
                    continue;
                }
                long payload = length7;
                if (lengthBytes > 0)
                {
                    payload = 0;
                    for (var i = 0; i < lengthBytes; i++)
                    {
                        payload = (payload << 8) | _header[2 + i];
                    }
                }
                _payloadLeft = payload;
                _headerLength = 0;
            }
        }
    }
}
