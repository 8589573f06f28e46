using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PushHub.Cli;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Webhooks;

namespace PushHub.Tests.Cli;

/// <summary><c>pushhub webhooks</c> and <c>pushhub dead-letters</c> against a live hub delivering to a real receiver.</summary>
public sealed class WebhookCommandTests() : CliHubTest(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" })
{
    [Fact]
    public async Task Webhooks_add_list_deliveries_replay_and_rm()
    {
        await using var receiver = await WebhookReceiver.StartAsync();

        var add = await Cli.RunAsync("webhooks", "add", receiver.Url, "--task", "build-1", "--type", "task.completed", "--description", "CI", "--secret", "whsec_dGVzdHNlY3JldA==");
        var id = add.Lines.Select(line => System.Text.RegularExpressions.Regex.Match(line, @"wh_[0-9a-f]+")).First(match => match.Success).Value;
        await Hub.Client.PublishSeqAsync("build-1", "task.progress", new { percent = 50 });
        var seq = await Hub.Client.PublishSeqAsync("build-1", "task.completed");
        await LiveHub.EventuallyAsync(() => receiver.Count == 1, Timeout.Token);
        var list = await Cli.RunAsync("webhooks", "list");
        var deliveries = await Cli.RunAsync("webhooks", "deliveries", id);
        var replay = await Cli.RunAsync("webhooks", "replay", id, "--after", "0");
        await LiveHub.EventuallyAsync(() => receiver.Count == 2, Timeout.Token);
        var remove = await Cli.RunAsync("webhooks", "rm", id);
        var again = await Cli.RunAsync("webhooks", "rm", id);

        Assert.True(add.ExitCode == ExitCodes.Ok, add.ToString());
        Assert.Contains("secret whsec_dGVzdHNlY3JldA==", add.Lines);
        Assert.Contains(list.Lines, line => line.Contains(id) && line.Contains("build-1") && line.Contains("task.completed") && line.Contains("CI"));
        Assert.DoesNotContain("whsec_", list.Output);
        Assert.Contains(deliveries.Lines, line => line.Contains($"│ {seq} ") && line.Contains("succeeded") && line.Contains("200"));
        Assert.Equal($"queued 1 deliveries to {id}", Assert.Single(replay.Lines));
        Assert.Equal($"evt_{seq}", receiver.Received[1].Headers["webhook-id"]);
        Assert.Equal($"deleted {id}", Assert.Single(remove.Lines));
        Assert.Equal(ExitCodes.Rejected, again.ExitCode);
        Assert.Contains($"No webhook '{id}' is registered", again.Error);
    }

    [Fact]
    public async Task Webhooks_add_refused_by_the_hub_names_the_field()
    {
        var result = await Cli.RunAsync("webhooks", "add", "not-a-url");

        Assert.Equal(ExitCodes.Rejected, result.ExitCode);
        Assert.Contains("url", result.Error);
        Assert.Empty((await Hub.Client.GetFromJsonAsync<JsonObject>("/webhooks"))!["webhooks"]!.AsArray());
    }

    [Fact]
    public async Task Webhooks_disable_enable_and_rotate_secret_sign_the_next_delivery_with_the_new_secret()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var add = await Cli.RunAsync("webhooks", "add", receiver.Url, "--secret", "whsec_dGVzdHNlY3JldA==", "--json");
        var id = JsonNode.Parse(add.Output)!["id"]!.GetValue<string>();

        var disable = await Cli.RunAsync("webhooks", "disable", id);
        var disabled = (await Hub.Client.GetFromJsonAsync<JsonObject>($"/webhooks/{id}"))!["enabled"]!.GetValue<bool>();
        var enable = await Cli.RunAsync("webhooks", "enable", id);
        var rotate = await Cli.RunAsync("webhooks", "rotate-secret", id);
        var list = await Cli.RunAsync("webhooks", "list");
        var missing = await Cli.RunAsync("webhooks", "enable", "wh_missing");
        await Hub.Client.PublishSeqAsync("build-1", "task.completed");
        await LiveHub.EventuallyAsync(() => receiver.Count == 1, Timeout.Token);

        Assert.True(disable.ExitCode == ExitCodes.Ok, disable.ToString());
        Assert.Contains(disable.Lines, line => line.Contains(id) && line.Contains("│ no"));
        Assert.False(disabled);
        Assert.True(enable.ExitCode == ExitCodes.Ok, enable.ToString());
        Assert.Contains(enable.Lines, line => line.Contains(id) && line.Contains("│ yes"));
        var secret = Assert.Single(rotate.Lines, line => line.StartsWith("secret ", StringComparison.Ordinal))["secret ".Length..];
        Assert.StartsWith("whsec_", secret);
        Assert.NotEqual("whsec_dGVzdHNlY3JldA==", secret);
        Assert.DoesNotContain(secret, list.Output);
        Assert.Contains(list.Lines, line => line.Contains(id) && line.Contains("standard"));
        Assert.Equal(ExitCodes.Rejected, missing.ExitCode);
        var delivery = receiver.Received[0];
        Assert.Contains($"v1,{StandardSignature(secret, delivery)}", delivery.Headers["webhook-signature"].Split(' '));
    }

    [Fact]
    public async Task Webhooks_add_with_an_option_that_is_not_name_value_is_a_usage_error_and_sends_nothing()
    {
        var result = await Cli.RunAsync("webhooks", "add", "https://example.com/hook", "--format", "telegram", "--option", "chat_id");
        var fallback = await Cli.RunAsync("webhooks", "add", "https://example.com/hook", "--fallback-after", "00:05:00");

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--option 'chat_id' is not name=value", result.Error);
        Assert.Equal(ExitCodes.Usage, fallback.ExitCode);
        Assert.Contains("--fallback-after needs --fallback", fallback.Error);
        Assert.Empty((await Hub.Client.GetFromJsonAsync<JsonObject>("/webhooks"))!["webhooks"]!.AsArray());
    }

    [Fact]
    public async Task Webhooks_add_with_a_fallback_hands_the_event_over_when_the_primary_is_gone()
    {
        await using var backup = await WebhookReceiver.StartAsync();
        await using var primary = await WebhookReceiver.StartAsync();
        primary.Respond = (_, context) =>
        {
            context.Response.StatusCode = 410; // gone: disabled, and what it had pending dead-letters at once
            return Task.CompletedTask;
        };
        var backupAdd = await Cli.RunAsync("webhooks", "add", backup.Url, "--task", "nothing-else", "--json");
        var backupId = JsonNode.Parse(backupAdd.Output)!["id"]!.GetValue<string>();

        var add = await Cli.RunAsync("webhooks", "add", primary.Url, "--task", "build-1", "--fallback", backupId, "--fallback-after", "00:05:00");
        var missing = await Cli.RunAsync("webhooks", "add", primary.Url, "--fallback", "wh_missing");
        var id = add.Lines.Select(line => System.Text.RegularExpressions.Regex.Match(line, @"wh_[0-9a-f]+")).First(match => match.Success).Value;
        var seq = await Hub.Client.PublishSeqAsync("build-1", "task.failed");
        await LiveHub.EventuallyAsync(() => backup.Count == 1, Timeout.Token);
        var list = await Cli.RunAsync("webhooks", "list");

        Assert.True(add.ExitCode == ExitCodes.Ok, add.ToString());
        Assert.Contains(add.Lines, line => line.Contains(id) && line.Contains($"{backupId} after 00:05:00"));
        var stored = (await Hub.Client.GetFromJsonAsync<JsonObject>($"/webhooks/{id}"))!["fallback"]!;
        Assert.Equal((backupId, "00:05:00"), (stored["webhook_id"]!.GetValue<string>(), stored["after"]!.GetValue<string>()));
        Assert.Contains(list.Lines, line => line.Contains(id) && line.Contains($"{backupId} after 00:05:00"));
        Assert.Equal($"evt_{seq}", backup.Received[0].Headers["webhook-id"]);
        Assert.Equal(ExitCodes.Rejected, missing.ExitCode);
        Assert.Contains("fallback.webhook_id", missing.Error);
        Assert.Equal(2, (await Hub.Client.GetFromJsonAsync<JsonObject>("/webhooks"))!["webhooks"]!.AsArray().Count);
    }

    /// <summary>Standard Webhooks' v1 signature, computed here from the spec, not by the hub's code.</summary>
    private static string StandardSignature(string secret, ReceivedDelivery delivery)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = $"{delivery.Headers["webhook-id"]}.{delivery.Headers["webhook-timestamp"]}.{delivery.BodyText}";
        return Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes(signed)));
    }

    [Fact]
    public async Task Dead_letters_are_listed_and_a_replayed_one_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (number, context) =>
        {
            context.Response.StatusCode = number == 1 ? 410 : 200;
            return Task.CompletedTask;
        };
        var add = await Cli.RunAsync("webhooks", "add", receiver.Url, "--json");
        var id = JsonNode.Parse(add.Output)!["id"]!.GetValue<string>();
        var seq = await Hub.Client.PublishSeqAsync("build-1", "task.completed");
        await LiveHub.EventuallyAsync(() => receiver.Count == 1, Timeout.Token);
        JsonArray letters = [];
        while (letters.Count == 0)
        {
            await Task.Delay(20, Timeout.Token);
            var json = await Cli.RunAsync("dead-letters", "list", "--webhook", id, "--json");
            letters = JsonNode.Parse(json.Output)!["dead_letters"]!.AsArray();
        }
        var letterId = letters[0]!["id"]!.GetValue<long>();
        var table = await Cli.RunAsync("dead-letters", "list");
        // 410 disabled the endpoint; enable it again before replaying.
        using var enable = await Hub.Client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":true}"""));
        enable.EnsureSuccessStatusCode();
        var replay = await Cli.RunAsync("dead-letters", "replay", letterId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await LiveHub.EventuallyAsync(() => receiver.Count == 2, Timeout.Token);
        var replayAll = await Cli.RunAsync("dead-letters", "replay", "--webhook", id);
        var missing = await Cli.RunAsync("dead-letters", "replay", "999999");

        Assert.Contains(table.Lines, line => line.Contains(id) && line.Contains($"│ {seq} ") && line.Contains("410 Gone"));
        Assert.True(replay.ExitCode == ExitCodes.Ok, replay.ToString());
        Assert.Equal("queued 1 deliveries", Assert.Single(replay.Lines));
        Assert.Equal(receiver.Received[0].BodyText, receiver.Received[1].BodyText);
        Assert.True(replayAll.ExitCode == ExitCodes.Ok, replayAll.ToString());
        Assert.Equal(ExitCodes.Rejected, missing.ExitCode);
        Assert.Contains("No dead letter 999999", missing.Error);
    }
}
