using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using PushHub.Cli.Hub;
using PushHub.Cli.Output;

namespace PushHub.Cli.Commands;

/// <summary><c>pushhub webhooks add|list|rm|deliveries|replay|test|enable|disable|rotate-secret</c>.</summary>
public static class WebhooksCommand
{
    private static readonly string[] s_headers = ["id", "format", "url", "task", "types", "enabled", "fallback", "description", "created"];

    public static Command Create(CommandBinder binder) => new("webhooks", "Register, list and remove webhooks; read their attempt log; replay events")
    {
        Add(binder), List(binder), Remove(binder), Deliveries(binder), Replay(binder), Test(binder),
        SetEnabled(binder, "enable", true), SetEnabled(binder, "disable", false), RotateSecret(binder),
    };

    private static Command Add(CommandBinder binder)
    {
        var url = new Argument<string>("url") { Description = "Where to POST events (absolute http or https)" };
        var task = new Option<string?>("--task") { Description = "Only this task's events: an id or a pattern (deploy-*)" };
        var format = new Option<string?>("--format") { Description = "standard, slack, discord, teams, telegram, pagerduty or email (mailto: URLs)" };
        var options = new Option<string[]>("--option") { Description = "A format option as name=value, e.g. chat_id=-100123 (repeatable)" };
        var template = new Option<string?>("--template") { Description = "A Liquid template for the message, or @file to read it from a file" };
        var fallback = new Option<string?>("--fallback") { Description = "The webhook (wh_...) that gets the event when this one dead-letters" };
        var fallbackAfter = new Option<TimeSpan?>("--fallback-after") { Description = "... or is not delivered within this long (00:05:00)" };
        var types = new Option<string[]>("--type") { Description = "Only events of this type (repeatable)" };
        var description = new Option<string?>("--description") { Description = "A note for people" };
        var secret = new Option<string?>("--secret") { Description = "The signing secret (default: generated whsec_...)" };
        var command = new Command("add", "Register a webhook and print its signing secret (shown this once)") { url, format, options, template, task, types, fallback, fallbackAfter, description, secret };
        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var body = new JsonObject { ["url"] = session.Get(url) };
            if (session.Get(task) is { } taskId)
            {
                body["task_id"] = taskId;
            }
            if (session.Get(types) is { Length: > 0 } typeList)
            {
                body["types"] = new JsonArray(typeList.Select(type => (JsonNode?)type).ToArray());
            }
            if (session.Get(format) is { } formatName)
            {
                body["format"] = formatName;
            }
            if (session.Get(options) is { Length: > 0 } pairs)
            {
                body["options"] = OptionsObject(pairs);
            }
            if (session.Get(template) is { } templateText)
            {
                body["template"] = templateText.StartsWith('@') ? await File.ReadAllTextAsync(templateText[1..], cancellationToken) : templateText;
            }
            if (session.Get(fallback) is { } fallbackId)
            {
                body["fallback"] = new JsonObject
                {
                    ["webhook_id"] = fallbackId,
                    ["after"] = session.Get(fallbackAfter)?.ToString("c", CultureInfo.InvariantCulture),
                };
            }
            else if (session.Get(fallbackAfter) is not null)
            {
                throw new UsageException("--fallback-after needs --fallback <id>");
            }
            if (session.Get(description) is { } text)
            {
                body["description"] = text;
            }
            if (session.Get(secret) is { } given)
            {
                body["secret"] = given;
            }
            var reply = await session.Api.CreateWebhookAsync(body.ToJsonString(), cancellationToken);
            session.Print(reply, webhook =>
            {
                Tables.Write(session.Console, s_headers, [Row(webhook)], "");
                session.Out.WriteLine($"secret {webhook.Secret}");
                session.Out.WriteLine("Keep the secret now: the hub will not show it again (rotate it to get a new one).");
            });
            return ExitCodes.Ok;
        });
    }

    private static Command List(CommandBinder binder) => binder.Bind(new Command("list", "List the webhooks this key may manage"), async (session, cancellationToken) =>
    {
        var reply = await session.Api.ListWebhooksAsync(cancellationToken);
        session.Print(reply, list => Tables.Write(session.Console, s_headers, list.Webhooks.Select(Row), "No webhooks."));
        return ExitCodes.Ok;
    });

    private static Command Remove(CommandBinder binder)
    {
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        return binder.Bind(new Command("rm", "Delete a webhook; its pending deliveries go with it") { id }, async (session, cancellationToken) =>
        {
            await session.Api.DeleteWebhookAsync(session.Get(id), cancellationToken);
            if (!session.Json)
            {
                session.Out.WriteLine($"deleted {session.Get(id)}");
            }
            return ExitCodes.Ok;
        });
    }

    private static Command Deliveries(CommandBinder binder)
    {
        string[] headers = ["seq", "attempt", "outcome", "status", "ms", "error", "attempted", "next attempt"];
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        var limit = new Option<int?>("--limit") { Description = "At most this many attempts (1 to 1000, default 100)" };
        return binder.Bind(new Command("deliveries", "The webhook's attempt log, newest first") { id, limit }, async (session, cancellationToken) =>
        {
            var reply = await session.Api.ListDeliveriesAsync(session.Get(id), new QueryString().Add("limit", session.Get(limit)), cancellationToken);
            session.Print(reply, list => Tables.Write(session.Console, headers, list.Deliveries.Select(attempt => (IReadOnlyList<string?>)
                [Tables.Number(attempt.Seq), Tables.Number(attempt.Attempt), attempt.Outcome, attempt.ResponseStatus?.ToString(CultureInfo.InvariantCulture),
                 attempt.DurationMs.ToString("0", CultureInfo.InvariantCulture), attempt.Error, Tables.Time(attempt.AttemptedAt), Tables.Time(attempt.NextAttemptAt)]),
                "No delivery attempts yet."));
            return ExitCodes.Ok;
        });
    }

    private static Command Replay(CommandBinder binder)
    {
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        var after = new Option<long>("--after") { Description = "Redeliver the stored events after this seq", Required = true };
        var until = new Option<long?>("--until") { Description = "... up to and including this seq" };
        var command = new Command("replay", "Redeliver stored events to this webhook") { id, after, until };
        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var body = new JsonObject { ["after"] = session.Get(after) };
            if (session.Get(until) is { } last)
            {
                body["until"] = last;
            }
            var reply = await session.Api.ReplayWebhookAsync(session.Get(id), body.ToJsonString(), cancellationToken);
            session.Print(reply, result => session.Out.WriteLine($"queued {result.Queued} deliveries to {session.Get(id)}"));
            return ExitCodes.Ok;
        });
    }

    private static Command Test(CommandBinder binder)
    {
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        var command = new Command("test", "Send a sample event to the webhook now and print the attempt; exits nonzero unless delivered") { id };
        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var reply = await session.Api.TestWebhookAsync(session.Get(id), cancellationToken);
            var attempt = reply.Value;
            session.Print(reply, _ =>
            {
                session.Out.WriteLine($"{attempt.Outcome} {attempt.ResponseStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"} in {attempt.DurationMs.ToString("0", CultureInfo.InvariantCulture)} ms");
                if (attempt.Error is { } error)
                {
                    session.Out.WriteLine($"error {error}");
                }
                if (!string.IsNullOrEmpty(attempt.Response))
                {
                    session.Out.WriteLine($"response {attempt.Response}");
                }
            });
            return attempt.Outcome is "succeeded" ? ExitCodes.Ok : ExitCodes.NotDelivered;
        });
    }

    private static Command SetEnabled(CommandBinder binder, string name, bool enabled)
    {
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        var command = new Command(name, enabled ? "Deliver to the webhook again (also after the hub disabled it)" : "Stop delivering to the webhook until it is enabled again") { id };
        return binder.Bind(command, async (session, cancellationToken) =>
        {
            var reply = await session.Api.UpdateWebhookAsync(session.Get(id), new JsonObject { ["enabled"] = enabled }.ToJsonString(), cancellationToken);
            session.Print(reply, webhook => Tables.Write(session.Console, s_headers, [Row(webhook)], ""));
            return ExitCodes.Ok;
        });
    }

    private static Command RotateSecret(CommandBinder binder)
    {
        var id = new Argument<string>("id") { Description = "The webhook's id (wh_...)" };
        return binder.Bind(new Command("rotate-secret", "Replace the signing secret and print the new one (shown this once)") { id }, async (session, cancellationToken) =>
        {
            var reply = await session.Api.RotateWebhookSecretAsync(session.Get(id), cancellationToken);
            session.Print(reply, webhook =>
            {
                session.Out.WriteLine($"secret {webhook.Secret}");
                session.Out.WriteLine("Keep the secret now: the hub will not show it again.");
            });
            return ExitCodes.Ok;
        });
    }

    private static JsonObject OptionsObject(IEnumerable<string> pairs)
    {
        var result = new JsonObject();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0)
            {
                throw new UsageException($"--option '{pair}' is not name=value");
            }
            result[pair[..equals]] = pair[(equals + 1)..];
        }
        return result;
    }

    private static IReadOnlyList<string?> Row(Webhook webhook) =>
        [webhook.Id, webhook.Format ?? "standard", webhook.Url, webhook.TaskId ?? "*", webhook.Types is { Count: > 0 } types ? string.Join(' ', types) : "*",
         webhook.Enabled ? "yes" : $"no ({webhook.DisabledReason})", Fallback(webhook.Fallback), webhook.Description, Tables.Time(webhook.CreatedAt)];

    private static string? Fallback(WebhookFallback? fallback) => fallback switch
    {
        null => null,
        { After: { } after } => $"{fallback.WebhookId} after {after.ToString("c", CultureInfo.InvariantCulture)}",
        _ => fallback.WebhookId,
    };
}
