using System.CommandLine;
using PushHub.Cli.Hub;
using Spectre.Console;

namespace PushHub.Cli;

/// <summary>What a running command works with: its parsed line, the hub client and where to write.</summary>
public sealed class CommandSession(ParseResult result, CliContext context, HubApiClient api, bool json) : IDisposable
{
    public ParseResult Result { get; } = result;

    public CliContext Context { get; } = context;

    public HubApiClient Api { get; } = api;

    /// <summary>True with <c>--json</c>: print the hub's JSON, nothing else, on standard output.</summary>
    public bool Json { get; } = json;

    public IAnsiConsole Console => Context.Console;

    /// <summary>Standard output as plain text: JSON and lines that must not be wrapped or styled.</summary>
    public TextWriter Out => Context.Console.Profile.Out.Writer;

    public TextWriter Error => Context.Error;

    public T? Get<T>(Option<T> option) => Result.GetValue(option);

    public T Get<T>(Argument<T> argument) => Result.GetValue(argument)!;

    /// <summary>With <c>--json</c> prints <paramref name="reply"/>'s JSON; otherwise runs <paramref name="render"/>.</summary>
    public void Print<T>(HubReply<T> reply, Action<T> render)
    {
        if (Json)
        {
            Out.WriteLine(reply.Json);
        }
        else
        {
            render(reply.Value);
        }
    }

    public void Dispose() => Api.Dispose();
}
