using System.Text.RegularExpressions;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Observability;

[Collection(ProcessWideState.Name)]
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_are_prometheus_text_and_count_published_events()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("a", "x");
        await client.PostAsync("/events", HubClient.Json("""[{"task_id":"a","type":"x"},{"task_id":"b","type":"x"}]"""));
        var poll = client.PollAsync("after=3&wait=60"); // one parked long-poll is one listener on the feed

        // Commits are counted as the log follower hands them to the feed, just after the publish is answered.
        var batchSizes = new Regex(@"^pushhub_store_batch_size(_events)?_count(\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        HttpResponseMessage response;
        string text;
        var attempt = 0;
        while (true)
        {
            response = await client.GetAsync("/metrics");
            text = await response.Content.ReadAsStringAsync();
            if (batchSizes.Match(text) is { Success: true } match && long.Parse(match.Groups[3].Value) >= 2)
            {
                break;
            }
            response.Dispose();
            Assert.True(attempt++ < 500, "the commits were never counted:\n" + text);
            await Task.Delay(10);
        }
        using var _ = response;

        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Equal("3", Regex.Match(text, @"^pushhub_events_published(?:_total)?(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline).Groups[1].Value);
        Assert.Matches(new Regex(@"^pushhub_publish_duration_milliseconds_bucket\{", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^pushhub_head_seq(\{[^}]*\})? 3", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^http_server_request_duration_seconds_bucket\{", RegexOptions.Multiline), text);

        await client.PublishSeqAsync("c", "x");
        await poll;
    }

    [Fact]
    public async Task A_fresh_hub_shows_every_series_from_the_first_scrape()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();

        var text = await client.GetStringAsync("/metrics");

        // Counters at 0 for each known label, gauges at their value: nothing was published or delivered yet.
        string[] series =
        [
            "pushhub_events_published_total 0",
            "pushhub_head_seq 0",
            "pushhub_subscribers ",
            "pushhub_connections{transport=\"sse\"} 0",
            "pushhub_connections{transport=\"websocket\"} 0",
            "pushhub_webhook_dead_letters 0",
            "pushhub_webhook_coalesced_total 0",
            .. PushHub.Observability.PushHubMetrics.WebhookOutcomes.Select(outcome => $"pushhub_webhook_deliveries_total{{outcome=\"{outcome}\"}} 0"),
        ];
        var lines = text.Split('\n');
        foreach (var expected in series)
        {
            // The exporter may add labels of its own (otel_scope_name, ...) and a timestamp after the value.
            var name = expected[..expected.IndexOfAny(['{', ' '])];
            var labels = expected.Contains('{') ? expected[(expected.IndexOf('{') + 1)..expected.IndexOf('}')] : null;
            var value = expected[(expected.LastIndexOf(' ') + 1)..];
            Assert.True(lines.Any(line => (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
                    && (labels is null || line.Contains(labels, StringComparison.Ordinal))
                    && (value.Length == 0 || line.Split(' ')[1] == value)),
                $"no series '{expected}' on a fresh hub's /metrics:\n{text}");
        }
    }

    [Fact]
    public async Task Webhook_deliveries_are_counted_by_outcome_with_their_duration_and_the_dead_letter_depth()
    {
        await using var receiver = await PushHub.Tests.Webhooks.WebhookReceiver.StartAsync();
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var client = hub.CreateClient();
        using var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await client.PublishSeqAsync("a", "x");
        await client.PublishSeqAsync("a", "x");
        await PushHub.Tests.Webhooks.WebhookReceiver.WaitForAsync(() => receiver.Count >= 2, "two deliveries");

        string text;
        var attempt = 0;
        do
        {
            // The attempt is counted once the receiver's answer is back; look again (bounded) until it is.
            text = await client.GetStringAsync("/metrics");
            Assert.True(attempt++ < 500, "the deliveries were never counted:\n" + text);
            await Task.Delay(10);
        }
        while (!Regex.IsMatch(text, @"^pushhub_webhook_deliveries(?:_total)?\{[^}]*outcome=""succeeded""[^}]*\} 2\b", RegexOptions.Multiline));

        Assert.Matches(new Regex(@"^pushhub_webhook_delivery_duration_milliseconds_count\{[^}]*outcome=""succeeded""[^}]*\} 2\b", RegexOptions.Multiline), text);
        Assert.Matches(new Regex(@"^pushhub_webhook_dead_letters(\{[^}]*\})? 0\b", RegexOptions.Multiline), text);
    }

    [Fact]
    public async Task The_dead_letter_gauge_follows_the_store_without_reading_it_on_scrape()
    {
        await using var receiver = await PushHub.Tests.Webhooks.WebhookReceiver.StartAsync();
        receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = 410; // gone: the delivery becomes a dead letter at once
            return Task.CompletedTask;
        };
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var client = hub.CreateClient();
        using var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        await client.PublishSeqAsync("a", "x");

        var gauge = new Regex(@"^pushhub_webhook_dead_letters(\{[^}]*\})? 1\b", RegexOptions.Multiline);
        for (var attempt = 0; !gauge.IsMatch(await client.GetStringAsync("/metrics")); attempt++)
        {
            Assert.True(attempt < 500, "the dead letter never showed in the gauge");
            await Task.Delay(10);
        }
        Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(await client.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray());
    }
}
