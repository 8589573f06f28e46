using System.Diagnostics;
using System.Net.Sockets;
using MimeKit;

namespace PushHub.Tests.Infrastructure;

/// <summary>A fact that needs Debian's python3-aiosmtpd; skipped, saying why, where it is not installed.</summary>
public sealed class SmtpFactAttribute : FactAttribute
{
    public SmtpFactAttribute()
    {
        if (SmtpReceiver.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A message the SMTP server accepted, with its envelope.</summary>
public sealed record ReceivedEmail(string EnvelopeFrom, IReadOnlyList<string> EnvelopeTo, MimeMessage Message);

/// <summary>
/// A real SMTP server: Debian's aiosmtpd on a loopback port, saving each message it accepts as an .eml file
/// (Infrastructure/smtp_save_handler.py), or answering DATA with a scripted 4xx/5xx reply.
/// </summary>
public sealed class SmtpReceiver : IAsyncDisposable
{
    /// <summary>Debian's interpreter: the one on PATH may be another without aiosmtpd.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> s_unavailable = new(Probe);

    private readonly Process _process;
    private readonly string _folder;

    private SmtpReceiver(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    /// <summary>Why the server cannot run here, or null when it can.</summary>
    public static string? Unavailable => s_unavailable.Value;

    public int Port { get; }

    public static async Task<SmtpReceiver> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("pushhub-smtp-").FullName;
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "smtp_save_handler.SaveHandler", folder },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["PYTHONPATH"] = HandlerFolder();
        var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var receiver = new SmtpReceiver(process, folder, port);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            Assert.False(process.HasExited, "aiosmtpd exited at start");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return receiver;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Makes the server answer DATA with <paramref name="reply"/> (such as <c>451 4.3.0 Try again later</c>), or accept again with null.</summary>
    public void AnswerData(string? reply)
    {
        var path = Path.Combine(_folder, "answer");
        if (reply is null)
        {
            File.Delete(path);
        }
        else
        {
            File.WriteAllText(path, reply + "\n");
        }
    }

    /// <summary>The messages accepted so far.</summary>
    public IReadOnlyList<ReceivedEmail> Received()
    {
        var messages = new List<ReceivedEmail>();
        foreach (var file in Directory.GetFiles(_folder, "*.eml").Order())
        {
            var message = MimeMessage.Load(file);
            var from = message.Headers["X-Envelope-From"] ?? "";
            var to = (message.Headers["X-Envelope-To"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries);
            messages.Add(new ReceivedEmail(from, to, message));
        }
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static string HandlerFolder() => Path.Combine(AppContext.BaseDirectory, "Infrastructure");

    private static string? Probe()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing: install Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd; .ci/run does) to run the email tests";
        }
        using var check = Process.Start(new ProcessStartInfo(Python) { ArgumentList = { "-c", "import aiosmtpd" }, RedirectStandardError = true, UseShellExecute = false })!;
        check.WaitForExit();
        return check.ExitCode == 0 ? null
            : $"{Python} cannot import aiosmtpd: install Debian's python3-aiosmtpd (apt-get install python3-aiosmtpd; .ci/run does) to run the email tests";
    }
}
