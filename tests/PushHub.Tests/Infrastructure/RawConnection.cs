using System.Net.Sockets;
using System.Text;

namespace PushHub.Tests.Infrastructure;

/// <summary>A TCP connection to the hub, for requests byte by byte as a test writes them.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly CancellationToken _cancellationToken;
    private readonly StringBuilder _received = new();
    private int _consumed;

    private RawConnection(TcpClient client, CancellationToken cancellationToken)
    {
        _client = client;
        _stream = client.GetStream();
        _cancellationToken = cancellationToken;
    }

    /// <param name="receiveBufferBytes">A small socket buffer makes a client that does not read stall the hub soon.</param>
    public static async Task<RawConnection> OpenAsync(LiveHub hub, CancellationToken cancellationToken, int? receiveBufferBytes = null)
    {
        var client = new TcpClient { NoDelay = true };
        if (receiveBufferBytes is { } bytes)
        {
            client.ReceiveBufferSize = bytes;
        }
        await client.ConnectAsync(hub.BaseAddress.Host, hub.BaseAddress.Port, cancellationToken);
        return new RawConnection(client, cancellationToken);
    }

    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(text), _cancellationToken);
        await _stream.FlushAsync(_cancellationToken);
    }

    /// <summary>Reads until what arrived so far contains each marker in turn; answers all of it. Fails if the connection ends first.</summary>
    public async Task<string> ReadUntilAsync(params string[] markers)
    {
        var buffer = new byte[4096];
        var from = 0;
        foreach (var marker in markers)
        {
            int found;
            while ((found = _received.ToString().IndexOf(marker, from, StringComparison.Ordinal)) < 0)
            {
                var read = await _stream.ReadAsync(buffer, _cancellationToken);
                Assert.True(read > 0, $"the connection ended before \"{marker}\"; received: {_received}");
                _received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
            from = found + marker.Length;
        }
        return _received.ToString();
    }

    /// <summary>
    /// The next whole response after those read by earlier calls: its head (status line and headers, each line with
    /// its CRLF) and its body, by <c>Content-Length</c> or de-chunked. Fails if the connection ends first.
    /// </summary>
    public async Task<(string Head, string Body)> ReadResponseAsync()
    {
        var headEnd = await FillUntilAsync(text => text.IndexOf("\r\n\r\n", _consumed, StringComparison.Ordinal) is var at and >= 0 ? at : -1);
        var head = _received.ToString(_consumed, headEnd + 2 - _consumed);
        var at = headEnd + 4;
        string body;
        var length = head.Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length: ", StringComparison.OrdinalIgnoreCase));
        if (length is not null)
        {
            var count = int.Parse(length["Content-Length: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await FillUntilAsync(text => text.Length >= at + count ? 0 : -1);
            body = _received.ToString(at, count);
            _consumed = at + count;
        }
        else
        {
            var chunks = new StringBuilder();
            while (true)
            {
                var lineEnd = await FillUntilAsync(text => text.IndexOf("\r\n", at, StringComparison.Ordinal));
                var size = Convert.ToInt32(_received.ToString(at, lineEnd - at), 16);
                at = lineEnd + 2;
                await FillUntilAsync(text => text.Length >= at + size + 2 ? 0 : -1);
                chunks.Append(_received.ToString(at, size));
                at += size + 2;
                if (size == 0)
                {
                    break;
                }
            }
            body = chunks.ToString();
            _consumed = at;
        }
        return (head, body);
    }

    // Reads until found answers a position (>= 0) in what has arrived; answers that position.
    private async Task<int> FillUntilAsync(Func<string, int> found)
    {
        var buffer = new byte[4096];
        int at;
        while ((at = found(_received.ToString())) < 0)
        {
            var read = await _stream.ReadAsync(buffer, _cancellationToken);
            Assert.True(read > 0, $"the connection ended before a whole response; received: {_received}");
            _received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        return at;
    }

    /// <summary>Everything the server sends until it closes the connection.</summary>
    public async Task<string> ReadToEndAsync()
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await _stream.ReadAsync(buffer, _cancellationToken)) > 0)
            {
                _received.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
            // reset rather than closed: ended all the same
        }
        return _received.ToString();
    }

    /// <summary>True when the server closes the connection without sending anything (more) first.</summary>
    public async Task<bool> EndsAsync()
    {
        var buffer = new byte[4096];
        try
        {
            return await _stream.ReadAsync(buffer, _cancellationToken) == 0;
        }
        catch (IOException)
        {
            return true; // reset rather than closed: still ended
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
