using System.Collections.Concurrent;

namespace PushHub.Tests.Cli;

/// <summary>
/// Breaks SSE streams the way a network does: connection n (1, 2, ...) is cut after <c>CutAfter(n)</c> event
/// frames plus a few bytes of the next one, either by an <see cref="IOException"/> or by a clean end of stream.
/// Records the <c>Last-Event-ID</c> each connection sent.
/// </summary>
public sealed class CuttingHandler(Func<int, (int Frames, bool Throw)?> cutAfter) : DelegatingHandler(new SocketsHttpHandler())
{
    private int _connections;

    public ConcurrentQueue<string?> LastEventIds { get; } = new();

    /// <summary>Runs once the response headers of connection n have arrived.</summary>
    public Func<int, Task>? Connected { get; init; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri?.AbsolutePath != "/events/sse")
        {
            return await base.SendAsync(request, cancellationToken);
        }
        var number = Interlocked.Increment(ref _connections);
        LastEventIds.Enqueue(request.Headers.TryGetValues("Last-Event-ID", out var values) ? values.Single() : null);
        var response = await base.SendAsync(request, cancellationToken);
        if (Connected is not null)
        {
            await Connected(number);
        }
        if (cutAfter(number) is { } cut)
        {
            var inner = await response.Content.ReadAsStreamAsync(cancellationToken);
            var headers = response.Content.Headers.ToList();
            response.Content = new StreamContent(new CutStream(inner, cut.Frames, cut.Throw));
            foreach (var header in headers)
            {
                response.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        return response;
    }

    /// <summary>Passes bytes through until the n-th event frame and 10 bytes more, then breaks.</summary>
    private sealed class CutStream(Stream inner, int frames, bool fail) : Stream
    {
        private const int PartialBytes = 10;
        private int _events;
        private int _left = -1;
        private byte _previous;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_left == 0)
            {
                return fail ? throw new IOException("the test cut the connection") : 0;
            }
            var read = await inner.ReadAsync(buffer, cancellationToken);
            var span = buffer.Span[..read];
            for (var i = 0; i < span.Length; i++)
            {
                if (_left > 0 && --_left == 0)
                {
                    return i + 1;
                }
                // "\nid:" starts an event frame; the first "retry:" frame has no id.
                if (_left < 0 && _previous == (byte)'\n' && span[i] == (byte)'\n' && _events++ == frames)
                {
                    _left = PartialBytes;
                }
                _previous = span[i];
            }
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
