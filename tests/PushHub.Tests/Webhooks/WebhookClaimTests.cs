using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookClaimTests
{
    [Fact]
    public async Task Two_dispatchers_on_one_store_send_each_event_to_a_healthy_endpoint_exactly_once()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        // A second dispatcher beside the hub's own, on the same store: as two nodes of a cluster would be. (Not
        // AddHostedService: it would take a second WebhookDispatcher for a duplicate registration and drop it.)
        using var twoDispatchers = hub.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<WebhookDispatcher>(sp))));
        using var client = twoDispatchers.CreateClient();
        using (var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}""")))
        {
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        }
        var seqs = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            seqs.AddRange(await client.PublishBatchAsync("build-1", 500, "task.heartbeat", new JsonObject()));
        }
        await WebhookReceiver.WaitForAsync(
            () => receiver.Received.Select(d => d.Headers["webhook-id"]).Distinct().Count() == seqs.Count, "every event");
        // A marker after the rest: once it is in, a second copy of any earlier delivery would have been sent already.
        var marker = await client.PublishSeqAsync("build-1", "task.heartbeat");
        await WebhookReceiver.WaitForAsync(() => receiver.Received.Any(d => d.Headers["webhook-id"] == $"evt_{marker}"), "the marker");
        await WebhookReceiver.WaitForAsync(() => Dispatchers(twoDispatchers).Sum(d => d.InFlight) == 0, "both dispatchers idle");

        var ids = receiver.Received.Select(d => d.Headers["webhook-id"]).ToList();
        Assert.Equal(seqs.Append(marker).Select(seq => $"evt_{seq}").Order(), ids.Order());
        var dispatchers = Dispatchers(twoDispatchers);
        Assert.Equal(2, dispatchers.Count);
        Assert.All(dispatchers, dispatcher => Assert.True(dispatcher.Attempted > 0, "each dispatcher sent a share"));
        Assert.Equal(ids.Count, dispatchers.Sum(dispatcher => dispatcher.Attempted));
    }

    private static List<WebhookDispatcher> Dispatchers(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> hub) =>
        hub.Services.GetServices<IHostedService>().OfType<WebhookDispatcher>().ToList();
}
