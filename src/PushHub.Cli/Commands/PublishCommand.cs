using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PushHub.Cli.Hub;

namespace PushHub.Cli.Commands;

/// <summary><c>pushhub publish &lt;task&gt; &lt;type&gt;</c>: one event; or <c>--file</c> for a JSON array (a batch, stored atomically).</summary>
public static class PublishCommand
{
    public static Command Create(CommandBinder binder)
    {
        var task = new Argument<string?>("task") { Description = "The task id, e.g. build-17", Arity = ArgumentArity.ZeroOrOne };
        var type = new Argument<string?>("type") { Description = "The event type, e.g. task.progress", Arity = ArgumentArity.ZeroOrOne };
        var data = new Option<string?>("--data") { Description = "The event's data as a JSON object, e.g. '{\"step\":\"compile\"}'" };
        var percent = new Option<double?>("--percent") { Description = "Sets data.percent (0 to 100)" };
        var message = new Option<string?>("--message") { Description = "Sets data.message" };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Publishing again with the same key returns the original event" };
        var file = new Option<string?>("--file") { Description = "Publish the events in this file ('-' for standard input): an object or an array of up to 1000" };
        var command = new Command("publish", "Publish an event and print its seq") { task, type, data, percent, message, idempotencyKey, file };

        return binder.Bind(command, async (session, cancellationToken) =>
        {
            if (session.Get(file) is { } path)
            {
                if (session.Get(task) is not null || session.Get(data) is not null || session.Get(percent) is not null || session.Get(message) is not null)
                {
                    throw new UsageException("--file publishes the events in the file; give either --file or <task> <type> with --data/--percent/--message, not both");
                }
                return await PublishFileAsync(session, await ReadFileAsync(session.Context, path, cancellationToken), session.Get(idempotencyKey), cancellationToken);
            }
            if (session.Get(task) is not { } taskId || session.Get(type) is not { } eventType)
            {
                throw new UsageException("publish needs <task> and <type>, e.g. pushhub publish build-17 task.progress --percent 50 (or --file events.json)");
            }
            var body = new JsonObject
            {
                ["task_id"] = taskId,
                ["type"] = eventType,
                ["data"] = Data(session.Get(data), session.Get(percent), session.Get(message)),
            };
            var reply = await session.Api.PublishAsync(body.ToJsonString(), session.Get(idempotencyKey), cancellationToken);
            session.Print(reply, published => session.Out.WriteLine(Describe(published, reply.Status)));
            return ExitCodes.Ok;
        });
    }

    private static JsonObject Data(string? json, double? percent, string? message)
    {
        JsonObject data;
        try
        {
            data = json is null ? [] : JsonNode.Parse(json) as JsonObject
                ?? throw new UsageException($"--data must be a JSON object such as '{{\"step\":\"compile\"}}', not '{json}'");
        }
        catch (JsonException exception)
        {
            throw new UsageException($"--data is not valid JSON ({exception.Message}); quote it for the shell, e.g. --data '{{\"step\":\"compile\"}}'");
        }
        if (percent is { } value)
        {
            data["percent"] = value;
        }
        if (message is not null)
        {
            data["message"] = message;
        }
        return data;
    }

    private static async Task<string> ReadFileAsync(CliContext context, string path, CancellationToken cancellationToken)
    {
        try
        {
            return path == "-" ? await context.Input.ReadToEndAsync(cancellationToken) : await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --file '{path}': {exception.Message}");
        }
    }

    private static async Task<int> PublishFileAsync(CommandSession session, string json, string? idempotencyKey, CancellationToken cancellationToken)
    {
        JsonValueKind kind;
        try
        {
            using var document = JsonDocument.Parse(json);
            kind = document.RootElement.ValueKind;
        }
        catch (JsonException exception)
        {
            throw new UsageException($"--file does not hold valid JSON ({exception.Message})");
        }
        if (kind == JsonValueKind.Object)
        {
            var reply = await session.Api.PublishAsync(json, idempotencyKey, cancellationToken);
            session.Print(reply, published => session.Out.WriteLine(Describe(published, reply.Status)));
            return ExitCodes.Ok;
        }
        if (kind != JsonValueKind.Array)
        {
            throw new UsageException("--file must hold an event object or an array of events, each {\"task_id\",\"type\",\"data\"}");
        }
        if (idempotencyKey is not null)
        {
            throw new UsageException("--idempotency-key applies to a single event; in an array give each event its own idempotency_key");
        }
        var batch = await session.Api.PublishBatchAsync(json, cancellationToken);
        session.Print(batch, list =>
        {
            foreach (var published in list.Events)
            {
                session.Out.WriteLine(Describe(published, batch.Status));
            }
        });
        return ExitCodes.Ok;
    }

    private static string Describe(HubEvent published, int status) => string.Create(CultureInfo.InvariantCulture,
        $"{(status == 200 ? "already published as" : "published")} seq {published.Seq}: {published.TaskId} {published.Type}");
}
