using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

/// <summary><c>fallback</c> on <c>POST</c> and <c>PATCH /webhooks</c>: shown back, and every refusal a 400 naming the field that stores nothing.</summary>
public sealed class WebhookFallbackApiTests : IDisposable
{
    private readonly HubFactory _hub = new(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
    private readonly HttpClient _client;

    public WebhookFallbackApiTests() => _client = _hub.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _hub.Dispose();
    }

    [Fact]
    public async Task A_fallback_is_stored_shown_changed_and_cleared()
    {
        var backup = await CreateAsync(_client, """{"url":"https://example.com/backup"}""");
        using var created = await _client.PostAsync("/webhooks", HubClient.Json(
            $$$"""{"url":"https://example.com/primary","fallback":{"webhook_id":"{{{backup}}}","after":"00:05:00"}}"""));
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = body["id"]!.GetValue<string>();

        Assert.Equal((backup, "00:05:00"), Fallback(body));
        Assert.Equal((backup, "00:05:00"), Fallback(await GetAsync(id)));
        var listed = JsonNode.Parse(await _client.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Single(w => w!["id"]!.GetValue<string>() == id)!;
        Assert.Equal((backup, "00:05:00"), Fallback(listed));

        var other = await CreateAsync(_client, """{"url":"https://example.com/other"}""");
        Assert.Equal((other, "1.02:00:00"), Fallback(await PatchAsync(id, $$$"""{"fallback":{"webhook_id":"{{{other}}}","after":"1.02:00:00"}}""")));
        Assert.Equal((other, null), Fallback(await PatchAsync(id, $$$"""{"fallback":{"webhook_id":"{{{other}}}"}}""")));
        // A patch of another field leaves the fallback alone; null clears it.
        Assert.Equal((other, null), Fallback(await PatchAsync(id, """{"description":"still backed up"}""")));
        Assert.Null((await PatchAsync(id, """{"fallback":null}"""))["fallback"]);
        Assert.Null((await GetAsync(id))["fallback"]);
        Assert.Null((await GetAsync(backup))["fallback"]);
    }

    [Fact]
    public async Task A_webhook_that_another_falls_back_to_is_not_deleted_until_that_one_points_elsewhere()
    {
        var backup = await CreateAsync(_client, """{"url":"https://example.com/backup"}""");
        var primary = await CreateAsync(_client, $$$"""{"url":"https://example.com/primary","fallback":{"webhook_id":"{{{backup}}}"}}""");

        using (var refused = await _client.DeleteAsync($"/webhooks/{backup}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var detail = (await refused.ReadProblemAsync())["detail"]!.GetValue<string>();
            Assert.Contains(primary, detail, StringComparison.Ordinal);
            Assert.Contains("\"fallback\": null", detail, StringComparison.Ordinal);
        }
        Assert.Equal(backup, (await GetAsync(backup))["id"]!.GetValue<string>());
        Assert.Equal((backup, null), Fallback(await GetAsync(primary)));

        await PatchAsync(primary, """{"fallback":null}""");
        using var deleted = await _client.DeleteAsync($"/webhooks/{backup}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Theory]
    [InlineData("""{"webhook_id":"wh_missing"}""", "fallback.webhook_id")]
    [InlineData("""{"webhook_id":""}""", "fallback.webhook_id")]
    [InlineData("""{"webhook_id":42}""", "fallback.webhook_id")]
    [InlineData("""{"after":"00:05:00"}""", "fallback.webhook_id")]
    [InlineData("""{"webhook_id":"BACKUP","after":"5"}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","after":"00:00:00"}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","after":"-00:05:00"}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","after":"8.00:00:00"}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","after":"five minutes"}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","after":300}""", "fallback.after")]
    [InlineData("""{"webhook_id":"BACKUP","when":"always"}""", "fallback.when")]
    [InlineData("\"BACKUP\"", "fallback")]
    public async Task A_bad_fallback_is_a_400_naming_the_field_and_stores_nothing(string fallback, string field)
    {
        var backup = await CreateAsync(_client, """{"url":"https://example.com/backup"}""");
        var primary = await CreateAsync(_client, """{"url":"https://example.com/primary"}""");
        var json = fallback.Replace("BACKUP", backup, StringComparison.Ordinal);

        using var created = await _client.PostAsync("/webhooks", HubClient.Json($$$"""{"url":"https://example.com/third","fallback":{{{json}}}}"""));
        using var patched = await _client.PatchAsync($"/webhooks/{primary}", HubClient.Json($$$"""{"fallback":{{{json}}},"description":"changed"}"""));

        foreach (var response in new[] { created, patched })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
        }
        Assert.Equal(2, JsonNode.Parse(await _client.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Count);
        var stored = await GetAsync(primary);
        Assert.Null(stored["fallback"]);
        Assert.Null(stored["description"]);
    }

    [Fact]
    public async Task A_webhook_cannot_fall_back_to_itself_or_close_a_cycle()
    {
        var a = await CreateAsync(_client, """{"url":"https://example.com/a"}""");
        var b = await CreateAsync(_client, $$$"""{"url":"https://example.com/b","fallback":{"webhook_id":"{{{a}}}"}}""");
        var c = await CreateAsync(_client, $$$"""{"url":"https://example.com/c","fallback":{"webhook_id":"{{{b}}}"}}""");

        var itself = await RefusedPatchAsync(a, a);
        var twoSteps = await RefusedPatchAsync(a, b);   // a → b → a
        var threeSteps = await RefusedPatchAsync(a, c); // a → c → b → a

        Assert.Contains("itself", itself, StringComparison.Ordinal);
        Assert.Contains($"{a} → {b} → {a}", twoSteps, StringComparison.Ordinal);
        Assert.Contains($"{a} → {c} → {b} → {a}", threeSteps, StringComparison.Ordinal);
        Assert.Null((await GetAsync(a))["fallback"]);
        // A chain that ends is fine: d → c → b → a.
        var d = await CreateAsync(_client, $$$"""{"url":"https://example.com/d","fallback":{"webhook_id":"{{{c}}}"}}""");
        Assert.Equal((c, null), Fallback(await GetAsync(d)));
    }

    [Fact]
    public async Task A_publisher_may_fall_back_only_to_a_webhook_it_may_manage()
    {
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var admin = hub.ClientWithKey(SecuredHub.AdminKey);
        using var publisher = hub.ClientWithKey(SecuredHub.PublisherKey);
        var foreign = await CreateAsync(admin, """{"url":"https://example.com/ops","task_id":"deploy-1"}""");
        var everyTask = await CreateAsync(admin, """{"url":"https://example.com/all"}""");
        var own = await CreateAsync(publisher, """{"url":"https://example.com/mine","task_id":"build-2"}""");

        foreach (var target in new[] { foreign, everyTask, "wh_missing" })
        {
            using var response = await publisher.PostAsync("/webhooks", HubClient.Json(
                $$$"""{"url":"https://example.com/x","task_id":"build-1","fallback":{"webhook_id":"{{{target}}}"}}"""));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var message = (await response.ReadProblemAsync())["errors"]!["fallback.webhook_id"]![0]!.GetValue<string>();
            // The same words whether the webhook is missing or someone else's: a key learns nothing of others' webhooks.
            Assert.Equal($"names no webhook '{target}' that this key may manage; GET /webhooks lists them", message);
        }
        var created = await CreateAsync(publisher, $$$"""{"url":"https://example.com/x","task_id":"build-1","fallback":{"webhook_id":"{{{own}}}"}}""");
        Assert.Equal(4, JsonNode.Parse(await admin.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.BadRequest, (await publisher.PatchAsync($"/webhooks/{created}",
            HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{foreign}}}"}}"""))).StatusCode);
        // An admin may point its own webhooks anywhere.
        Assert.Equal(HttpStatusCode.OK, (await admin.PatchAsync($"/webhooks/{foreign}",
            HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{created}}}"}}"""))).StatusCode);
    }

    [Fact]
    public async Task A_fallback_write_while_another_node_keeps_the_lease_is_answered_503_and_stores_nothing()
    {
        using var factory = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var hub = factory.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            var stored = services.Single(service => service.ServiceType == typeof(IClusterLeases));
            services.Remove(stored);
            services.AddSingleton<IClusterLeases>(sp => new LeaseHeldElsewhere((IClusterLeases)stored.ImplementationFactory!(sp), WebhookFallbacks.LeaseName));
        }));
        hub.Services.GetRequiredService<WebhookFallbacks>().LeaseWait = TimeSpan.FromMilliseconds(100);
        using var client = hub.CreateClient();
        var backup = await CreateAsync(client, """{"url":"https://example.com/backup"}""");
        var primary = await CreateAsync(client, """{"url":"https://example.com/primary"}""");

        using var response = await client.PatchAsync($"/webhooks/{primary}", HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{backup}}}"}}"""));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        var problem = await response.ReadProblemAsync();
        Assert.Equal("Cluster lease busy", problem["title"]!.GetValue<string>());
        Assert.Contains(WebhookFallbacks.LeaseName, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse(await client.GetStringAsync($"/webhooks/{primary}"))!["fallback"]);
        using var delete = await client.DeleteAsync($"/webhooks/{backup}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, delete.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/webhooks/{backup}")).StatusCode);
    }

    /// <summary>Another node that keeps renewing one lease: this node never gets it.</summary>
    private sealed class LeaseHeldElsewhere(IClusterLeases inner, string held) : IClusterLeases
    {
        public string NodeId => inner.NodeId;

        public Task<bool> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken = default) =>
            name == held ? Task.FromResult(false) : inner.TryAcquireAsync(name, duration, cancellationToken);

        public Task ReleaseAsync(string name, CancellationToken cancellationToken = default) =>
            name == held ? Task.CompletedTask : inner.ReleaseAsync(name, cancellationToken);
    }

    private async Task<string> RefusedPatchAsync(string id, string fallback)
    {
        using var response = await _client.PatchAsync($"/webhooks/{id}", HubClient.Json($$$"""{"fallback":{"webhook_id":"{{{fallback}}}"}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        return (await response.ReadProblemAsync())["errors"]!["fallback.webhook_id"]![0]!.GetValue<string>();
    }

    private static async Task<string> CreateAsync(HttpClient client, string body)
    {
        using var response = await client.PostAsync("/webhooks", HubClient.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"expected 201, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["id"]!.GetValue<string>();
    }

    private async Task<JsonNode> GetAsync(string id) => JsonNode.Parse(await _client.GetStringAsync($"/webhooks/{id}"))!;

    private async Task<JsonNode> PatchAsync(string id, string body)
    {
        using var response = await _client.PatchAsync($"/webhooks/{id}", HubClient.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static (string? WebhookId, string? After) Fallback(JsonNode webhook) =>
        (webhook["fallback"]?["webhook_id"]?.GetValue<string>(), webhook["fallback"]?["after"]?.GetValue<string>());
}
