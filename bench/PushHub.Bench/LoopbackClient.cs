using System.Net;
using System.Net.Sockets;

namespace PushHub.Bench;

/// <summary>
/// HTTP clients for thousands of concurrent connections to one loopback server. Connections take their source
/// address in turn from 127.0.0.1 … 127.0.0.<i>sources</i> (all of 127/8 is local on Linux), so the ephemeral
/// ports of one source address (about 28,000) never run out, even with the last run's connections in TIME_WAIT.
/// The runtime already raises the process's open-file soft limit to the hard one at start.
/// </summary>
internal static class LoopbackClient
{
    // IP_BIND_ADDRESS_NO_PORT (linux/in.h): bind the address now, pick the port at connect(), per destination.
    private const int IpBindAddressNoPort = 24;

    /// <summary>A client with no connection limit and no timeout: the scenarios bound their own time.</summary>
    public static HttpClient Create(Uri baseAddress, int sources = 1) =>
        new(CreateHandler(sources)) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The handler behind <see cref="Create"/>, also used for WebSocket connects.</summary>
    public static SocketsHttpHandler CreateHandler(int sources)
    {
        var next = -1;
        return new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (sources > 1)
                    {
                        var source = 1 + (int)((uint)Interlocked.Increment(ref next) % (uint)sources);
                        if (OperatingSystem.IsLinux())
                        {
                            socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                        }
                        socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)source]), 0));
                    }
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }
}
