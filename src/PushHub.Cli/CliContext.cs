using Spectre.Console;

namespace PushHub.Cli;

/// <summary>
/// Everything a command touches outside itself: the terminal, standard error and input, the environment and
/// the HTTP handler. The process uses the real ones; tests pass a console over a <see cref="StringWriter"/>,
/// a dictionary for the environment and, where they want to break a connection, their own handler.
/// </summary>
public sealed class CliContext
{
    /// <summary>Where results go: tables, progress bars and JSON lines.</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Where error messages and notices (reconnecting, reset) go.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Standard input, for <c>publish --file -</c>.</summary>
    public TextReader Input { get; init; } = TextReader.Null;

    /// <summary>Reads an environment variable (<c>PUSHHUB_URL</c>, <c>PUSHHUB_KEY</c>).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = static _ => null;

    /// <summary>Creates the handler under each <see cref="HttpClient"/> the commands use.</summary>
    public Func<HttpMessageHandler> CreateHandler { get; init; } = CreateDefaultHandler;

    /// <summary>How long the first retry of a dropped <c>tail</c> stream waits; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two attempts to reconnect a <c>tail</c> stream.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>True for the real process: Ctrl-C is then handled by System.CommandLine.</summary>
    public bool IsProcess { get; init; }

    /// <summary>The context of the running process: the real terminal, streams and environment.</summary>
    public static CliContext ForProcess() => new()
    {
        Console = AnsiConsole.Console,
        Error = System.Console.Error,
        Input = System.Console.In,
        GetEnvironmentVariable = Environment.GetEnvironmentVariable,
        IsProcess = true,
    };

    private static SocketsHttpHandler CreateDefaultHandler() => new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };
}
