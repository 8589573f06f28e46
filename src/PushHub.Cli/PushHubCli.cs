using System.CommandLine;
using PushHub.Cli.Commands;
using PushHub.Cli.Hub;

namespace PushHub.Cli;

/// <summary>The <c>pushhub</c> command line: builds the commands and runs one, mapping failures to <see cref="ExitCodes"/>.</summary>
public static class PushHubCli
{
    /// <summary>Runs <paramref name="args"/> and answers the exit code; tests cancel <paramref name="cancellationToken"/> as Ctrl-C would.</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("pushhub: publish to, follow and manage a PushHub from the terminal");
        globals.AddTo(root);
        var binder = new CommandBinder(globals, context);
        root.Subcommands.Add(PublishCommand.Create(binder));
        root.Subcommands.Add(TailCommand.Create(binder));
        root.Subcommands.Add(PollCommand.Create(binder));
        root.Subcommands.Add(TasksCommand.Create(binder));
        root.Subcommands.Add(WebhooksCommand.Create(binder));
        root.Subcommands.Add(DeadLettersCommand.Create(binder));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await context.Error.WriteLineAsync($"pushhub: {error.Message}");
            }
            await context.Error.WriteLineAsync($"Run 'pushhub {string.Join(' ', CommandPath(parsed))} --help' for the usage.".Replace("  ", " "));
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = context.Console.Profile.Out.Writer,
            Error = context.Error,
            // Exceptions are ours to report in one sentence (below), not as a stack trace.
            EnableDefaultExceptionHandler = false,
            // Only the real process turns Ctrl-C into cancellation; tests cancel through the token.
            ProcessTerminationTimeout = context.IsProcess ? TimeSpan.FromSeconds(2) : null,
        };
        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken);
        }
        catch (CliException exception)
        {
            await context.Error.WriteLineAsync($"pushhub: {exception.Message}");
            return exception.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parsed)
    {
        var names = new Stack<string>();
        for (var command = parsed.CommandResult; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
        {
            names.Push(command.Command.Name);
        }
        return names;
    }
}
