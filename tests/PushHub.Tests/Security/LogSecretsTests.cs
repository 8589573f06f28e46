using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;
using Serilog.Core;
using Serilog.Events;

namespace PushHub.Tests.Security;

[Collection(ProcessWideState.Name)]
public sealed class LogSecretsTests
{
    /// <summary>Every log event as text: the rendered message, each property and the exception.</summary>
    private sealed class CapturingSink : ILogEventSink
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public void Emit(LogEvent logEvent) => Lines.Enqueue(
            logEvent.RenderMessage() + " | " + string.Join(" | ", logEvent.Properties.Select(p => $"{p.Key}={p.Value}")) + " | " + logEvent.Exception);
    }

    [Fact]
    public async Task No_key_or_token_reaches_any_log_line()
    {
        var sink = new CapturingSink();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var hub = SecuredHub.Create(new Dictionary<string, string?>
        {
            // Everything, down to the framework's own verbose logging.
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
            ["Auth:TokenSigningKey"] = "signing-secret-0123456789-abcdefghijklmnop",
        }, time);
        using var factory = hub.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(sink)));

        var token = await IssueAsync(factory, SecuredHub.PublisherKey, """["build-*"]""", 3600);
        var shortToken = await IssueAsync(factory, SecuredHub.AdminKey, """["*"]""", 1);
        time.Advance(TimeSpan.FromSeconds(5));
        var secrets = new[] { SecuredHub.AdminKey, SecuredHub.PublisherKey, SecuredHub.SubscriberKey, SecuredHub.ReaderAllKey,
            "wrong-key-0123456789abcdef", "signing-secret-0123456789-abcdefghijklmnop", token, shortToken, Signature(token), Signature(shortToken) };

        using var client = factory.CreateClient();
        foreach (var key in new[] { SecuredHub.AdminKey, SecuredHub.PublisherKey, SecuredHub.SubscriberKey, "wrong-key-0123456789abcdef" })
        {
            using var bearer = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = HubClient.Json("""{"task_id":"build-1","type":"task.started"}""") };
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            (await client.SendAsync(bearer)).Dispose();
            using var header = new HttpRequestMessage(HttpMethod.Get, "/events?task=build-1");
            header.Headers.Add("X-Api-Key", key);
            (await client.SendAsync(header)).Dispose();
            using var garbage = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = HubClient.Json("{not json " + key) };
            garbage.Headers.Add("X-Api-Key", key);
            (await client.SendAsync(garbage)).Dispose();
        }
        foreach (var t in new[] { token, shortToken, token[..^4] + "AAAA", token + "x" })
        {
            (await client.GetAsync("/events?task=build-1&access_token=" + t)).Dispose();
            (await client.GetAsync("/tasks/build-1?access_token=" + t)).Dispose();
            (await client.GetAsync("/events?access_token=" + t + "&bogus=" + t)).Dispose();
            using var asHeader = new HttpRequestMessage(HttpMethod.Get, "/events?task=build-1");
            asHeader.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
            (await client.SendAsync(asHeader)).Dispose();
        }
        // A request is logged once its response is done, which may be after the client has it: a last request's
        // log line is the marker that the ones before it were written.
        await WaitForRequestLogAsync(client, sink);

        var lines = sink.Lines.ToList();
        Assert.Contains(lines, line => line.Contains("/events", StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            var leaked = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.Ordinal));
            Assert.True(leaked is null, $"a secret reached the logs: {leaked}");
        }
    }

    [Fact]
    public async Task No_webhook_secret_reaches_any_log_line()
    {
        var sink = new CapturingSink();
        await using var receiver = await PushHub.Tests.Webhooks.WebhookReceiver.StartAsync();
        using var hub = SecuredHub.Create(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
            ["Serilog:MinimumLevel:Override:System"] = "Verbose",
            ["Webhooks:AllowPrivateNetworks"] = "true",
        });
        using var factory = hub.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(sink)));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);

        const string chosen = "whsec_c2VjcmV0LWNob3Nlbi1ieS10aGUtdXNlci0wMTIzNDU2Nzg5YWI=";
        using var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}","secret":"{{chosen}}"}"""));
        var id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        using var rotated = await client.PostAsync($"/webhooks/{id}/rotate-secret", null);
        var generated = System.Text.Json.Nodes.JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!["secret"]!.GetValue<string>();
        (await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}","secret":"{{chosen}}","bogus":1}"""))).Dispose();
        (await client.PostAsync("/events", HubClient.Json("""{"task_id":"build-1","type":"task.started"}"""))).Dispose();
        await PushHub.Tests.Webhooks.WebhookReceiver.WaitForAsync(() => receiver.Count >= 1, "a signed delivery");
        // The dispatcher logs the delivery after the receiver answered and the attempt was stored: that line is the
        // marker that the attempt's logging (the HTTP client's included) is done.
        await PushHub.Tests.Webhooks.WebhookReceiver.WaitForAsync(
            () => sink.Lines.Any(line => line.StartsWith("Delivered seq ", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal)), "the delivery's log line");
        await WaitForRequestLogAsync(client, sink);

        var lines = sink.Lines.ToList();
        Assert.Contains(lines, line => line.Contains("/webhooks", StringComparison.Ordinal));
        foreach (var secret in new[] { chosen, chosen["whsec_".Length..], generated, generated["whsec_".Length..], receiver.Received[0].Headers["webhook-signature"] })
        {
            var leaked = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.Ordinal));
            Assert.True(leaked is null, $"a webhook secret or signature reached the logs: {leaked}");
        }
    }

    [Fact]
    public async Task No_slack_webhook_token_or_telegram_bot_token_reaches_any_log_line()
    {
        var sink = new CapturingSink();
        await using var fakes = await ServiceFakes.StartAsync();
        using var hub = SecuredHub.Create(new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft"] = "Verbose",
            ["Serilog:MinimumLevel:Override:System"] = "Verbose",
            ["Webhooks:AllowPrivateNetworks"] = "true",
        });
        using var factory = hub.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddSingleton<ILogEventSink>(sink)));
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);
        // One task each, so that each scripted failure reaches only the service it echoes.
        var slack = $$"""{"format":"slack","url":"{{fakes.SlackUrl}}","task_id":"slack-1"}""";
        var telegram = $$$"""{"format":"telegram","url":"{{{fakes.TelegramUrl}}}","options":{"chat_id":"-100123"},"task_id":"telegram-1"}""";

        // Create (and a refused create with the same URLs), then a test send to each.
        var ids = new List<string>();
        foreach (var body in new[] { slack, telegram })
        {
            using var created = await client.PostAsync("/webhooks", HubClient.Json(body));
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
            ids.Add(System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
            (await client.PostAsync("/webhooks", HubClient.Json(body[..^1] + ""","template":"{% if %}","bogus":1}"""))).Dispose();
        }
        foreach (var id in ids)
        {
            using var test = await client.PostAsync($"/webhooks/{id}/test", null);
            Assert.Equal(System.Net.HttpStatusCode.OK, test.StatusCode);
        }

        // Each service fails with an answer that echoes its token (raw and URL-encoded): a 500 (retried), then a 400 (a dead letter).
        string[] echoes =
        [
            $"bad hook /services/T0123ABCD/B0456EFGH/{fakes.SlackToken}",
            $"bad bot {fakes.TelegramToken} {Uri.EscapeDataString(fakes.TelegramToken)}",
        ];
        string[] tasks = ["slack-1", "telegram-1"];
        for (var i = 0; i < ids.Count; i++)
        {
            fakes.Enqueue(FakeAnswer.Of(500, echoes[i]));
            (await client.PostAsync("/events", HubClient.Json($$"""{"task_id":"{{tasks[i]}}","type":"task.started"}"""))).Dispose();
            await WaitForOutcomesAsync(client, [ids[i]], "failed");
            fakes.Enqueue(FakeAnswer.Of(400, echoes[i]));
            (await client.PostAsync("/events", HubClient.Json($$"""{"task_id":"{{tasks[i]}}","type":"task.failed"}"""))).Dispose();
            await WaitForOutcomesAsync(client, [ids[i]], "dead_letter", "disabled");
        }

        var lines = sink.Lines.ToList();
        Assert.Contains(lines, line => line.Contains("/webhooks", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("dead letter", StringComparison.Ordinal) || line.Contains("disabled", StringComparison.Ordinal));
        foreach (var secret in new[] { fakes.SlackToken, fakes.TelegramToken, Uri.EscapeDataString(fakes.TelegramToken), fakes.TelegramToken.Split(':')[1] })
        {
            var leaked = lines.FirstOrDefault(line => line.Contains(secret, StringComparison.Ordinal));
            Assert.True(leaked is null, $"a service token reached the logs: {leaked}");
        }
    }

    /// <summary>Waits until every webhook's attempt log has a line with one of <paramref name="outcomes"/>.</summary>
    private static async Task WaitForOutcomesAsync(HttpClient client, IEnumerable<string> ids, params string[] outcomes)
    {
        foreach (var id in ids)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                var log = System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync($"/webhooks/{id}/deliveries"))!["deliveries"]!.AsArray();
                if (log.Any(line => outcomes.Contains(line!["outcome"]!.GetValue<string>())))
                {
                    break;
                }
                Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for a {string.Join(" or ", outcomes)} attempt on {id}");
                await Task.Delay(20);
            }
        }
    }

    private static async Task<string> IssueAsync(WebApplicationFactory<Program> factory, string key, string tasks, int ttl)
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.PostAsync("/tokens", HubClient.Json($$"""{"tasks":{{tasks}},"ttl_seconds":{{ttl}}}"""));
        response.EnsureSuccessStatusCode();
        return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    /// <summary>Sends a request of its own and waits until the hub has logged it.</summary>
    private static async Task WaitForRequestLogAsync(HttpClient client, CapturingSink sink)
    {
        var path = $"/tasks/log-marker-{Guid.NewGuid():N}";
        (await client.GetAsync(path)).Dispose();
        await PushHub.Tests.Webhooks.WebhookReceiver.WaitForAsync(
            () => sink.Lines.Any(line => line.Contains(path, StringComparison.Ordinal) && line.Contains(" responded ", StringComparison.Ordinal)), "the marker request's log line");
    }

    /// <summary>The signature part alone, in case something logs a token split up.</summary>
    private static string Signature(string token) => token[(token.LastIndexOf('.') + 1)..];
}
