using System.Net;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

/// <summary>Runs where this machine's host name resolves to a private address, as it does almost everywhere.</summary>
public sealed class PrivateHostNameFactAttribute : FactAttribute
{
    public PrivateHostNameFactAttribute()
    {
        var name = Dns.GetHostName();
        var addresses = IPAddress.TryParse(name, out _) ? [] : Dns.GetHostAddresses(name);
        if (addresses.Length == 0 || !addresses.All(SsrfGuard.IsForbidden))
        {
            Skip = $"the host name '{name}' does not resolve only to private addresses here, so it cannot stand in for a rebinding name";
        }
    }
}

public sealed class WebhookRebindingTests
{
    [PrivateHostNameFact]
    public async Task A_host_name_that_passes_registration_but_resolves_privately_is_refused_at_connect_time()
    {
        await using var harness = await WebhookHarness.StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "false" });
        var url = new UriBuilder(harness.Receiver.Url) { Host = Dns.GetHostName() }.Uri.AbsoluteUri;
        using var created = await harness.Client.PostAsync("/webhooks", Infrastructure.HubClient.Json($$"""{"url":"{{url}}"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = System.Text.Json.Nodes.JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        await Infrastructure.HubClient.PublishSeqAsync(harness.Client, "t1", "task.started");

        var attempt = (await harness.WaitForAttemptsAsync(id, 1))[0]!;
        Assert.Equal("failed", attempt["outcome"]!.GetValue<string>());
        Assert.Contains("Refused to connect", attempt["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, harness.Receiver.Count);
    }
}
