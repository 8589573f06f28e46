using System.Net;
using System.Net.Sockets;

namespace PushHub.Tests.Infrastructure;

/// <summary>
/// A plain TCP relay on a free loopback port to a target port, that can be <see cref="Hold"/>: from then on it
/// forwards nothing more either way, while its connections stay open, so what the target sends after that never
/// arrives. In front of a Redis primary, a replica connected through it falls behind — a replica that is lagging when
/// its primary dies, deterministically, without any wait.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public int Port { get; }

    /// <summary>Stops forwarding, both ways, at once and for good; bytes the relay had not forwarded yet are dropped.</summary>
    public void Hold() => _held.TrySetResult();

    private Task AcceptAsync() => CuttableProxy.AcceptEachAsync(_listener, ServeAsync, _stop.Token);

    private async Task ServeAsync(Socket client)
    {
        var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            client.Dispose();
            target.Dispose();
            return;
        }
        lock (_sockets)
        {
            _sockets.Add(client);
            _sockets.Add(target);
        }
        await Task.WhenAll(PumpAsync(client, target), PumpAsync(target, client));
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                // Held: what was just read is dropped, and nothing is read any more.
                if (read == 0 || _held.Task.IsCompleted)
                {
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
            }
            if (!_held.Task.IsCompleted)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            _sockets.ForEach(socket => socket.Dispose());
        }
        await _accepting;
        _stop.Dispose();
    }
}
