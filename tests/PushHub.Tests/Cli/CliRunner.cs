using PushHub.Cli;
using Spectre.Console;

namespace PushHub.Tests.Cli;

/// <summary>What a run of <c>pushhub</c> left behind.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs the command line in-process, as the terminal would, against a hub given by <c>--url</c> or the environment:
/// standard output and error are captured, the console is a wide non-interactive one unless asked otherwise.
/// </summary>
public sealed class CliRunner
{
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public Func<HttpMessageHandler>? CreateHandler { get; init; }

    public string Input { get; init; } = "";

    /// <summary>True for a console that renders live (progress bars) with ANSI codes.</summary>
    public bool Interactive { get; init; }

    /// <summary>A runner whose <c>PUSHHUB_URL</c> points at <paramref name="hub"/>.</summary>
    public static CliRunner For(Uri hub) => new() { Environment = { ["PUSHHUB_URL"] = hub.ToString() } };

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(args, CancellationToken.None);

    public async Task<CliResult> RunAsync(string[] args, CancellationToken cancellationToken, StringWriter? output = null)
    {
        output ??= new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Interactive ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(TextWriter.Synchronized(output)),
        });
        console.Profile.Width = 240;
        var context = new CliContext
        {
            Console = console,
            Error = TextWriter.Synchronized(error),
            Input = new StringReader(Input),
            GetEnvironmentVariable = name => Environment.GetValueOrDefault(name),
            CreateHandler = CreateHandler ?? (() => new SocketsHttpHandler()),
            ReconnectDelay = TimeSpan.FromMilliseconds(10),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(50),
        };
        var code = await PushHubCli.RunAsync(args, context, cancellationToken);
        return new CliResult(code, output.ToString(), error.ToString());
    }
}
