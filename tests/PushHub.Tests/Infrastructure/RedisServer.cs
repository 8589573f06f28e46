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

    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var folder = Directory.CreateTempSubdirectory("pushhub-redis-").FullName;
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", "no" },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in extraArguments)
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new RedisServer(process, folder, port);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                Assert.Fail($"redis-server exited at start with code {process.ExitCode}");
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
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
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
