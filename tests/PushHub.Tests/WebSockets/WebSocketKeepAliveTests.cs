using System.Net.Sockets;
using System.Text;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.WebSockets;

public sealed class WebSocketKeepAliveTests() : LiveHubTest(new Dictionary<string, string?> { ["WebSockets:KeepAliveSeconds"] = "1" })
{
    [Fact]
    public async Task An_idle_connection_gets_WebSocket_ping_frames()
    {
        // A raw socket, because ClientWebSocket answers pings without showing them.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Hub.BaseAddress.Host, Hub.BaseAddress.Port, Timeout.Token);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(Guid.NewGuid().ToByteArray());
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /events/ws HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"), Timeout.Token);

        var received = new List<byte>();
        var buffer = new byte[1024];
        int headerEnd;
        while ((headerEnd = IndexOf(received, "\r\n\r\n"u8.ToArray())) < 0)
        {
            received.AddRange(buffer.AsSpan(0, await ReadSomeAsync(stream, buffer)).ToArray());
        }
        Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(received.ToArray()), StringComparison.Ordinal);
        received.RemoveRange(0, headerEnd + 4);
        while (received.Count == 0)
        {
            received.AddRange(buffer.AsSpan(0, await ReadSomeAsync(stream, buffer)).ToArray());
        }

        // The first frame the server sends on an idle connection: FIN + opcode 0x9 (ping).
        Assert.Equal(0x89, received[0]);
    }

    private async Task<int> ReadSomeAsync(NetworkStream stream, byte[] buffer)
    {
        var read = await stream.ReadAsync(buffer, Timeout.Token);
        Assert.True(read > 0, "the server closed the connection");
        return read;
    }

    private static int IndexOf(List<byte> haystack, byte[] needle) =>
        haystack.ToArray().AsSpan().IndexOf(needle);
}
