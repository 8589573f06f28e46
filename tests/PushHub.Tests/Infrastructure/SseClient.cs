using System.Net.ServerSentEvents;
using System.Text;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// An open SSE response: its items as <see cref="SseParser"/> reads them, and the raw text seen so far, for
/// assertions on bytes the parser does not surface (comments, the retry hint).
/// </summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly TeeStream _stream;
    private readonly IAsyncEnumerator<SseItem<string>> _items;
    private readonly CancellationToken _cancellationToken;
    private Task<bool>? _pending;

    private SseClient(HttpResponseMessage response, Stream body, CancellationToken cancellationToken)
    {
        _response = response;
        _stream = new TeeStream(body);
        _cancellationToken = cancellationToken;
        _items = SseParser.Create(_stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Everything read from the wire so far, as UTF-8 text.</summary>
    public string Raw
    {
        get
        {
            lock (_stream.Seen)
            {
                return Encoding.UTF8.GetString(_stream.Seen.ToArray());
            }
        }
    }

    public static async Task<SseClient> OpenAsync(HttpClient client, string query, long? lastEventId = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events/sse" + query);
        if (lastEventId is { } id)
        {
            request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            Assert.Fail($"expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return new SseClient(response, await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken);
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<SseItem<string>?> NextAsync()
    {
        var next = _pending ?? _items.MoveNextAsync().AsTask();
        _pending = null;
        return await next ? _items.Current : null;
    }

    /// <summary>
    /// Reads until the raw text contains <paramref name="text"/> (bounded by the token given at open). Comments
    /// yield no item, so this watches the bytes while a read is pending.
    /// </summary>
    public async Task ReadUntilRawContainsAsync(string text)
    {
        while (!Raw.Contains(text, StringComparison.Ordinal))
        {
            _pending ??= _items.MoveNextAsync().AsTask();
            if (_pending.IsCompleted)
            {
                Assert.True(await _pending, $"the stream ended before '{text}' appeared");
                _pending = null;
                continue;
            }
            await Task.WhenAny(_pending, Task.Delay(20, _cancellationToken));
            _cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <remarks>May run while another task is reading: the read then ends with an error, and the parser is left to the GC.</remarks>
    public async ValueTask DisposeAsync()
    {
        _response.Dispose();
        try
        {
            if (_pending is not null)
            {
                await _pending;
            }
            await _items.DisposeAsync();
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
        {
        }
    }

    private sealed class TeeStream(Stream inner) : Stream
    {
        public MemoryStream Seen { get; } = new();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            lock (Seen)
            {
                Seen.Write(buffer.Span[..read]);
            }
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            lock (Seen)
            {
                Seen.Write(buffer, offset, read);
            }
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
