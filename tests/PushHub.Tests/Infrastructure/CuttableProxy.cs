using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder in front of the hub, on 127.0.0.1 at a free port, that can cut every connection through it at
/// once — the way a network drop or a restarted proxy breaks a browser's streams — while the hub keeps running.
/// It keeps what each client sent (the request heads, to check e.g. <c>Last-Event-ID</c> on a reconnection).
/// </summary>
public sealed class CuttableProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly ConcurrentDictionary<Pair, byte> _open = new();
    private readonly ConcurrentQueue<StringBuilder> _sent = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public CuttableProxy(Uri target)
    {
        _target = target;
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public Uri Address { get; }

    /// <summary>What the clients sent, one text per connection, oldest first (bytes as Latin-1).</summary>
    public IReadOnlyList<string> Sent => _sent.Select(text => { lock (text) { return text.ToString(); } }).ToList();

    /// <summary>Closes every connection now open through the proxy, both ways; new ones are accepted as before.</summary>
    public void CutAll()
    {
        foreach (var pair in _open.Keys)
        {
            pair.Close();
        }
    }

    private Task AcceptAsync() => AcceptEachAsync(_listener, ServeAsync, _stop.Token);

    /// <summary>Accepts connections until <paramref name="stop"/>, starting <paramref name="serve"/> for each (not awaited).</summary>
    internal static async Task AcceptEachAsync(TcpListener listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(stop);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = serve(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var pair = new Pair(client, server);
        try
        {
            await server.ConnectAsync(_target.Host, _target.Port, _stop.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            pair.Close();
            return;
        }
        var sent = new StringBuilder();
        _sent.Enqueue(sent);
        _open.TryAdd(pair, 0);
        await Task.WhenAll(PumpAsync(client, server, sent), PumpAsync(server, client, null));
        pair.Close();
        _open.TryRemove(pair, out _);
    }

    private static async Task PumpAsync(Socket from, Socket to, StringBuilder? record)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                if (record is not null)
                {
                    lock (record)
                    {
                        record.Append(Encoding.Latin1.GetString(buffer, 0, read));
                    }
                }
                await to.SendAsync(buffer.AsMemory(0, read));
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        await _accepting;
        _stop.Dispose();
    }

    private sealed class Pair(Socket client, Socket server)
    {
        public void Close()
        {
            client.Dispose();
            server.Dispose();
        }
    }
}
