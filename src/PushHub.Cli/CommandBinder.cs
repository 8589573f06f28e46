using System.CommandLine;
using PushHub.Cli.Hub;

namespace PushHub.Cli;

/// <summary>Gives each command its action: a <see cref="CommandSession"/> on the hub named by the global options.</summary>
public sealed class CommandBinder(GlobalOptions globals, CliContext context)
{
    /// <summary>Makes <paramref name="run"/> the action of <paramref name="command"/>.</summary>
    public Command Bind(Command command, Func<CommandSession, CancellationToken, Task<int>> run)
    {
        command.SetAction(async (result, cancellationToken) =>
        {
            var url = globals.ResolveUrl(result, context);
            using var session = new CommandSession(result, context,
                HubApiClient.Create(context.CreateHandler(), url, globals.ResolveKey(result, context)), result.GetValue(globals.Json));
            return await run(session, cancellationToken);
        });
        return command;
    }
}
