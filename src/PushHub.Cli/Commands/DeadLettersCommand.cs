using System.CommandLine;
using System.Globalization;
using PushHub.Cli.Hub;
using PushHub.Cli.Output;

namespace PushHub.Cli.Commands;

/// <summary><c>pushhub dead-letters list|replay</c>: deliveries the hub gave up on.</summary>
public static class DeadLettersCommand
{
    private static readonly string[] s_headers = ["id", "webhook", "seq", "task", "type", "reason", "attempts", "last status", "created"];

    public static Command Create(CommandBinder binder) => new("dead-letters", "List and replay deliveries the hub gave up on")
    {
        List(binder), Replay(binder),
    };

    private static Command List(CommandBinder binder)
    {
        var webhook = new Option<string?>("--webhook") { Description = "Only this webhook's dead letters" };
        var limit = new Option<int?>("--limit") { Description = "At most this many (1 to 1000, default 100)" };
        return binder.Bind(new Command("list", "Dead letters, newest first") { webhook, limit }, async (session, cancellationToken) =>
        {
            var reply = await session.Api.ListDeadLettersAsync(new QueryString().Add("webhook_id", session.Get(webhook)).Add("limit", session.Get(limit)), cancellationToken);
            session.Print(reply, list => Tables.Write(session.Console, s_headers, list.DeadLetters.Select(letter => (IReadOnlyList<string?>)
                [Tables.Number(letter.Id), letter.WebhookId, Tables.Number(letter.Seq), letter.TaskId, letter.Type, letter.Reason,
                 Tables.Number(letter.Attempts), letter.LastStatus?.ToString(CultureInfo.InvariantCulture), Tables.Time(letter.CreatedAt)]),
                "No dead letters."));
            return ExitCodes.Ok;
        });
    }

    private static Command Replay(CommandBinder binder)
    {
        var id = new Argument<long?>("id") { Description = "The dead letter to replay", Arity = ArgumentArity.ZeroOrOne };
        var webhook = new Option<string?>("--webhook") { Description = "Replay all of this webhook's dead letters" };
        var command = new Command("replay", "Queue a dead letter (or, with --webhook, all of a webhook's) for delivery again") { id, webhook };
        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var reply = (session.Get(id), session.Get(webhook)) switch
            {
                ({ } one, null) => await session.Api.ReplayDeadLetterAsync(one, cancellationToken),
                (null, { } webhookId) => await session.Api.ReplayDeadLettersAsync(webhookId, cancellationToken),
                _ => throw new UsageException("give a dead letter's id, or --webhook <id> to replay all of its dead letters (not both)"),
            };
            session.Print(reply, result => session.Out.WriteLine($"queued {result.Queued} deliveries"));
            return ExitCodes.Ok;
        });
    }
}
