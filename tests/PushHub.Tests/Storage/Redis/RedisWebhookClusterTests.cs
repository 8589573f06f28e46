using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Webhooks;
using PushHub.Webhooks;

namespace PushHub.Tests.Storage.Redis;

/// <summary>Webhooks in cluster mode: two hubs on one Redis, each with its own dispatcher, and a real receiver.</summary>
public sealed class RedisWebhookClusterTests
{
    [RedisFact]
    public async Task Two_hubs_on_one_Redis_deliver_every_event_once_whichever_hub_took_the_publish()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var first = new HubFactory(Settings(redis));
        using var second = new HubFactory(Settings(redis));
        using var one = first.CreateClient();
        using var two = second.CreateClient();
        using (var created = await one.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var single = await two.PublishAsync("build-1", "task.progress", new { percent = 5, message = "héllo" });
        var singleBytes = await single.Content.ReadAsByteArrayAsync();
        var seqs = new List<long>();
        for (var i = 0; i < 4; i++)
        {
            seqs.AddRange(await (i % 2 == 0 ? one : two).PublishBatchAsync("build-1", 100, "task.heartbeat", new JsonObject()));
        }
        await WebhookReceiver.WaitForAsync(() => receiver.Received.Select(d => d.Headers["webhook-id"]).Distinct().Count() == seqs.Count + 1, "every event");
        // A marker after the rest: once it is in, a second copy of any earlier delivery would have been sent already.
        var marker = await one.PublishSeqAsync("build-1", "task.heartbeat");
        await WebhookReceiver.WaitForAsync(() => receiver.Received.Any(d => d.Headers["webhook-id"] == $"evt_{marker}"), "the marker");
        await WebhookReceiver.WaitForAsync(() => Dispatchers(first, second).Sum(d => d.InFlight) == 0, "both dispatchers idle");

        var received = receiver.Received;
        Assert.Equal(seqs.Prepend(1).Append(marker).Select(seq => $"evt_{seq}").Order(), received.Select(d => d.Headers["webhook-id"]).Order());
        Assert.Equal(singleBytes, received.Single(d => d.Headers["webhook-id"] == "evt_1").Body);
        Assert.All(Dispatchers(first, second), dispatcher => Assert.True(dispatcher.Attempted > 0, "each hub's dispatcher sent a share"));
    }

    [RedisFact]
    public async Task A_gone_endpoint_is_disabled_for_the_whole_cluster_and_its_dead_letter_replays_from_the_other_hub()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = (number, context) =>
        {
            context.Response.StatusCode = number == 1 ? StatusCodes.Status410Gone : StatusCodes.Status200OK;
            return Task.CompletedTask;
        };
        using var first = new HubFactory(Settings(redis));
        using var second = new HubFactory(Settings(redis));
        using var one = first.CreateClient();
        using var two = second.CreateClient();
        string id;
        using (var created = await one.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}""")))
        {
            id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        }

        var seq = await one.PublishSeqAsync("deploy-1", "task.failed");
        await WebhookReceiver.WaitForAsync(() => receiver.Count == 1, "the 410");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonArray dead;
        while ((dead = JsonNode.Parse(await two.GetStringAsync($"/dead-letters?webhook_id={id}"))!["dead_letters"]!.AsArray()).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the dead letter");
            await Task.Delay(20);
        }
        var webhook = JsonNode.Parse(await two.GetStringAsync($"/webhooks/{id}"))!;
        using var enabled = await two.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":true}"""));
        using var replayed = await two.PostAsync($"/dead-letters/{dead[0]!["id"]!.GetValue<long>()}/replay", null);
        await WebhookReceiver.WaitForAsync(() => receiver.Count == 2, "the replayed delivery");

        Assert.Equal(seq, dead[0]!["seq"]!.GetValue<long>());
        Assert.Equal(410, dead[0]!["last_status"]!.GetValue<int>());
        Assert.False(webhook["enabled"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        Assert.True(replayed.IsSuccessStatusCode, $"replay answered {(int)replayed.StatusCode}");
        Assert.Equal([$"evt_{seq}", $"evt_{seq}"], receiver.Received.Select(d => d.Headers["webhook-id"]));
        Assert.Equal(receiver.Received[0].Body, receiver.Received[1].Body); // the dead letter's own copy, byte for byte
    }

    [RedisFact]
    public async Task Two_hubs_setting_A_to_B_and_B_to_A_at_once_never_store_a_cycle()
    {
        await using var redis = await RedisServer.StartAsync();
        using var first = new HubFactory(Settings(redis));
        using var second = new HubFactory(Settings(redis));
        using var one = first.CreateClient();
        using var two = second.CreateClient();
        for (var round = 0; round < 10; round++)
        {
            var a = await CreateAsync(one);
            var b = await CreateAsync(two);

            // A→B on one hub and B→A on the other, sent together: each hub's own check alone would pass both.
            var patches = await Task.WhenAll(
                one.PatchAsync($"/webhooks/{a}", HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{b}}}"}}""")),
                two.PatchAsync($"/webhooks/{b}", HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{a}}}"}}""")));

            Assert.Equal(1, patches.Count(p => p.StatusCode == HttpStatusCode.OK));
            var refused = Assert.Single(patches, p => p.StatusCode != HttpStatusCode.OK);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("fallback.webhook_id", (await refused.ReadProblemAsync()).ToJsonString(), StringComparison.Ordinal);
            // What is stored, as either hub reads it: exactly one of the two points at the other.
            var fallbackOfA = JsonNode.Parse(await two.GetStringAsync($"/webhooks/{a}"))!["fallback"]?["webhook_id"]?.GetValue<string>();
            var fallbackOfB = JsonNode.Parse(await one.GetStringAsync($"/webhooks/{b}"))!["fallback"]?["webhook_id"]?.GetValue<string>();
            Assert.True((fallbackOfA == b) != (fallbackOfB == a), $"round {round}: A→{fallbackOfA ?? "none"}, B→{fallbackOfB ?? "none"}");
            foreach (var patch in patches)
            {
                patch.Dispose();
            }
        }
    }

    private static async Task<string> CreateAsync(HttpClient client)
    {
        using var created = await client.PostAsync("/webhooks", HubClient.Json("""{"url":"http://127.0.0.1:9/hook"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    private static Dictionary<string, string?> Settings(RedisServer redis) => new()
    {
        ["Storage:Provider"] = "Redis",
        ["Storage:Redis:Configuration"] = redis.Configuration,
        // Both hubs on one prefix, whatever TestStorage would derive from their own databases in the Redis pass.
        ["Storage:Redis:KeyPrefix"] = "cluster:",
        ["Auth:TokenSigningKey"] = "a-signing-key-of-at-least-thirty-two-chars",
        ["Webhooks:AllowPrivateNetworks"] = "true",
    };

    private static List<WebhookDispatcher> Dispatchers(params HubFactory[] hubs) =>
        hubs.SelectMany(hub => hub.Services.GetServices<IHostedService>().OfType<WebhookDispatcher>()).ToList();
}
