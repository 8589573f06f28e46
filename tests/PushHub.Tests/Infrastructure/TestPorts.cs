using System.Net;
using System.Net.Sockets;

namespace PushHub.Tests.Infrastructure;

/// <summary>Ports for hubs started as processes on an address chosen up front (and for "nobody listens here").</summary>
public static class TestPorts
{
    // Below Linux's ephemeral range (32768-60999 by default), which the kernel hands to every bind to port 0 and
    // every outgoing connection. A port picked from that range and released again is soon taken by another test's
    // in-process hub or client, and the test then talks to the wrong server (or to none).
    private const int First = 20000;
    private const int Count = 12000;

    private static int s_next = Random.Shared.Next(Count);

    /// <summary>A loopback port nobody listens on right now, never one the kernel gives out by itself.</summary>
    public static int Free()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref s_next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try the next one.
            }
        }
        throw new InvalidOperationException($"no free loopback port from {First} to {First + Count - 1}");
    }
}
