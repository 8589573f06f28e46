using System.CommandLine;
using PushHub.Cli.Output;

namespace PushHub.Cli.Commands;

/// <summary><c>pushhub poll</c>: one page of <c>GET /events</c>, optionally long-polling.</summary>
public static class PollCommand
{
    public static Command Create(CommandBinder binder)
    {
        var filter = new FilterOptions();
        var limit = new Option<int?>("--limit") { Description = "At most this many events (1 to 1000, default 100)" };
        var wait = new Option<int?>("--wait") { Description = "Seconds (0 to 60) to wait for a matching event" };
        var command = new Command("poll", "Print the events after a seq (GET /events); pass the printed last_seq as the next --after") { limit, wait };
        filter.AddTo(command);

        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var query = filter.Query(session).Add("after", session.Get(filter.After)).Add("limit", session.Get(limit)).Add("wait", session.Get(wait));
            var reply = await session.Api.PollAsync(query, cancellationToken);
            session.Print(reply, page =>
            {
                if (page.Truncated)
                {
                    session.Error.WriteLine("pushhub: some events after --after were already removed by retention; the page starts at the oldest stored one");
                }
                Tables.Write(session.Console, EventText.Headers, page.Events.Select(EventText.Row), "No events.");
                session.Out.WriteLine($"last_seq {Tables.Number(page.LastSeq)}");
            });
            return ExitCodes.Ok;
        });
    }
}
