using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.WebSockets;

/// <summary>
/// The WebSocket keep-alive on the hub's fake clock: a ping frame every <c>WebSockets:KeepAliveSeconds</c>, and a peer
/// that answers nothing within as long again is dropped. A raw socket, because ClientWebSocket answers pings without
/// showing them.
/// </summary>
public sealed class WebSocketKeepAliveTests : IDisposable
{
    private const byte Text = 0x1, Close = 0x8, Ping = 0x9, Pong = 0xA;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly LiveHub _hub;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    public WebSocketKeepAliveTests() =>
        _hub = new LiveHub(new Dictionary<string, string?> { ["WebSockets:KeepAliveSeconds"] = "15" }, _time);

    public void Dispose()
    {
        _timeout.Dispose();
        _hub.Dispose();
    }

    [Fact]
    public async Task An_idle_connection_gets_a_ping_frame_when_the_interval_is_up()
    {
        using var socket = await RawSocket.ConnectAsync(_hub.BaseAddress, _timeout.Token);
        await socket.RoundTripAsync();

        _time.Advance(TimeSpan.FromSeconds(15));

        // FIN + opcode 0x9 (ping), no payload.
        Assert.Equal((Ping, ""), await socket.NextFrameAsync());
    }

    [Fact]
    public async Task A_client_that_answers_the_pings_keeps_its_connection_and_its_stream()
    {
        using var socket = await RawSocket.ConnectAsync(_hub.BaseAddress, _timeout.Token, "?task=a");
        for (var round = 0; round < 3; round++)
        {
            await socket.RoundTripAsync();
            _time.Advance(TimeSpan.FromSeconds(15));
            Assert.Equal((Ping, ""), await socket.NextFrameAsync());
            await socket.SendAsync(Pong, []);
        }

        // Still open and still streaming: a published event arrives after the last pong.
        var seq = await _hub.Client.PublishSeqAsync("a", "task.started");
        await socket.RoundTripAsync(until: frame => frame.Contains($"\"seq\":{seq}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_answers_nothing_after_a_ping_is_dropped()
    {
        using var socket = await RawSocket.ConnectAsync(_hub.BaseAddress, _timeout.Token);
        await socket.RoundTripAsync();
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal((Ping, ""), await socket.NextFrameAsync());

        // No pong: one interval later the hub aborts the connection (the socket ends; no close handshake).
        _time.Advance(TimeSpan.FromSeconds(15));
        Assert.Null(await socket.NextFrameAsync());
        await LiveHub.EventuallyAsync(() => _hub.Connections.Count(PushHub.Hub.Transport.WebSocket) == 0, _timeout.Token);
    }

    /// <summary>A client WebSocket written by hand: masked frames out, frames in as the server wrote them.</summary>
    private sealed class RawSocket : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly CancellationToken _cancellationToken;
        private readonly List<byte> _pending = [];

        private RawSocket(TcpClient tcp, CancellationToken cancellationToken)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _cancellationToken = cancellationToken;
        }

        public static async Task<RawSocket> ConnectAsync(Uri hub, CancellationToken cancellationToken, string query = "")
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(hub.Host, hub.Port, cancellationToken);
            var socket = new RawSocket(tcp, cancellationToken);
            var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
            await socket._stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"GET /events/ws{query} HTTP/1.1\r\nHost: {hub.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"), cancellationToken);
            int end;
            while ((end = socket._pending.ToArray().AsSpan().IndexOf("\r\n\r\n"u8)) < 0)
            {
                Assert.True(await socket.FillAsync(), "the server closed the connection during the handshake");
            }
            Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(socket._pending.ToArray()), StringComparison.Ordinal);
            socket._pending.RemoveRange(0, end + 4);
            return socket;
        }

        /// <summary>The marker that the hub has read everything sent so far and serves the connection: an
        /// <c>{"op":"ping"}</c> and its <c>pong</c> (or, with <paramref name="until"/>, the first text frame it accepts).</summary>
        public async Task RoundTripAsync(Func<string, bool>? until = null)
        {
            await SendAsync(Text, """{"op":"ping"}"""u8.ToArray());
            until ??= frame => frame.Contains("\"pong\"", StringComparison.Ordinal);
            while (true)
            {
                var frame = await NextFrameAsync();
                Assert.True(frame is not null, "the server closed the connection");
                Assert.Equal(Text, frame.Value.Opcode);
                if (until(frame.Value.Payload))
                {
                    return;
                }
            }
        }

        public async Task SendAsync(byte opcode, byte[] payload)
        {
            Assert.True(payload.Length < 126);
            var mask = RandomNumberGenerator.GetBytes(4);
            var frame = new byte[2 + 4 + payload.Length];
            frame[0] = (byte)(0x80 | opcode);
            frame[1] = (byte)(0x80 | payload.Length);
            mask.CopyTo(frame, 2);
            for (var i = 0; i < payload.Length; i++)
            {
                frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
            }
            await _stream.WriteAsync(frame, _cancellationToken);
        }

        /// <summary>The next whole frame (opcode, payload as text), or null when the connection ended.</summary>
        public async Task<(byte Opcode, string Payload)?> NextFrameAsync()
        {
            while (true)
            {
                if (TryTakeFrame() is { } frame)
                {
                    return frame.Opcode == Close ? null : frame;
                }
                if (!await FillAsync())
                {
                    return null;
                }
            }
        }

        private (byte Opcode, string Payload)? TryTakeFrame()
        {
            if (_pending.Count < 2)
            {
                return null;
            }
            Assert.Equal(0x80, _pending[0] & 0x80); // the hub sends each message in one frame
            Assert.Equal(0, _pending[1] & 0x80); // and does not mask
            var length7 = _pending[1] & 0x7F;
            var header = length7 == 126 ? 4 : length7 == 127 ? 10 : 2;
            if (_pending.Count < header)
            {
                return null;
            }
            long length = length7;
            if (header > 2)
            {
                length = 0;
                for (var i = 2; i < header; i++)
                {
                    length = (length << 8) | _pending[i];
                }
            }
            if (_pending.Count < header + length)
            {
                return null;
            }
            var payload = Encoding.UTF8.GetString(_pending.GetRange(header, (int)length).ToArray());
            var opcode = (byte)(_pending[0] & 0x0F);
            _pending.RemoveRange(0, header + (int)length);
            return (opcode, payload);
        }

        private async Task<bool> FillAsync()
        {
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, _cancellationToken);
            }
            catch (IOException)
            {
                return false; // reset by the hub
            }
            _pending.AddRange(buffer.AsSpan(0, read).ToArray());
            return read > 0;
        }

        public void Dispose() => _tcp.Dispose();
    }
}
