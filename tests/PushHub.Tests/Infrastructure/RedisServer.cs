using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace PushHub.Tests.Infrastructure;

/// <summary>A fact that needs Debian's redis-server; skipped, saying why, where it is not installed.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>
/// A real Redis: <c>/usr/bin/redis-server</c> on a free loopback port, with its data in a temp folder, stopped and
/// the folder removed on dispose. Ready once it answers PING (the marker), never after a fixed wait.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/redis-server";

    private readonly Process _process;
    private readonly string _folder;
    private readonly OutputTail _output = new();

    private RedisServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    /// <summary>Why Redis cannot run here, or null when it can.</summary>
    public static string? Unavailable => File.Exists(Binary) ? null
        : $"{Binary} is missing: install Debian's redis-server (apt-get install redis-server; .ci/run does) to run the Redis tests";

    public int Port { get; }

    /// <summary>The StackExchange.Redis-style configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>True once the server process has exited and been reaped (after dispose).</summary>
    public bool Stopped { get; private set; }

    public static Task<RedisServer> StartAsync(params string[] extraArguments) => StartOnAsync(TestPorts.Free(), extraArguments);

    /// <summary>A new, empty server on this one's port (after <see cref="KillAsync"/>): Redis back after an outage.</summary>
    public Task<RedisServer> StartAgainAsync() => StartOnAsync(Port, []);

    private static Task<RedisServer> StartOnAsync(int port, string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("pushhub-redis-").FullName;
        return StartProcessAsync(folder, port,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no", .. extraArguments]);
    }

    /// <summary>A replica of <paramref name="primary"/> (ready once it answers PING; it may still be syncing).</summary>
    public static Task<RedisServer> StartReplicaAsync(int primaryPort) =>
        StartAsync("--replicaof", "127.0.0.1", primaryPort.ToString());

    /// <summary>
    /// A Sentinel (<c>redis-server --sentinel</c>) that monitors the primary on <paramref name="primaryPort"/> as
    /// <paramref name="serviceName"/>, alone (quorum 1), declaring it down after three seconds without an answer
    /// (quick, yet not so quick that a loaded machine's pause looks like a dead primary). Its failover timeout is the
    /// default three minutes: it is also how long Sentinel leaves a replica that replicates through another address (a
    /// relay) before it points the replica straight at the primary.
    /// </summary>
    public static Task<RedisServer> StartSentinelAsync(string serviceName, int primaryPort)
    {
        var folder = Directory.CreateTempSubdirectory("pushhub-sentinel-").FullName;
        var port = TestPorts.Free();
        // Sentinel needs a configuration file it can rewrite; it holds the monitored primary.
        var config = Path.Combine(folder, "sentinel.conf");
        File.WriteAllText(config, $"""
            port {port}
            bind 127.0.0.1
            dir {folder}
            sentinel monitor {serviceName} 127.0.0.1 {primaryPort} 1
            sentinel down-after-milliseconds {serviceName} 3000
            sentinel failover-timeout {serviceName} 180000
            sentinel parallel-syncs {serviceName} 1

            """);
        return StartProcessAsync(folder, port, [config, "--sentinel"]);
    }

    private static async Task<RedisServer> StartProcessAsync(string folder, int port, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        var server = new RedisServer(process, folder, port);
        server._output.Attach(process);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                var output = server.Output;
                await server.DisposeAsync();
                Assert.Fail($"redis-server exited at start with code {process.ExitCode}: {output}");
            }
            try
            {
                if (await server.CommandAsync("PING") == "+PONG\r\n")
                {
                    return server;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(50);
        }
    }

    /// <summary>The server's last lines of output (its log), for a failure message.</summary>
    public string Output => _output.ToString();


    /// <summary>SIGKILL, as a crashed machine: the server gets no chance to hand anything on. Its folder stays until dispose.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>
    /// Sends one command in RESP and returns the raw bytes of the first reply line (enough for status, error and
    /// integer replies, and for a bulk string's length line plus body when it is short).
    /// </summary>
    public async Task<string> CommandAsync(params string[] parts)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", Port);
        var stream = client.GetStream();
        var request = new StringBuilder($"*{parts.Length}\r\n");
        foreach (var part in parts)
        {
            request.Append($"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        var buffer = new byte[4096];
        var reply = new StringBuilder();
        while (true)
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                return reply.ToString();
            }
            reply.Append(Encoding.UTF8.GetString(buffer, 0, read));
            if (IsComplete(reply.ToString()))
            {
                return reply.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Stopped)
        {
            return;
        }
        await KillAsync();
        Stopped = true;
        _process.Dispose();
        TestPaths.TryDelete(_folder);
    }

    private static bool IsComplete(string reply)
    {
        var firstLine = reply.IndexOf("\r\n", StringComparison.Ordinal);
        if (firstLine < 0)
        {
            return false;
        }
        if (reply[0] != '$')
        {
            return true;
        }
        var length = int.Parse(reply.AsSpan(1, firstLine - 1));
        // RESP lengths count bytes, not chars; the length line itself is ASCII.
        return length < 0 || Encoding.UTF8.GetByteCount(reply) >= firstLine + 2 + length + 2;
    }
}
