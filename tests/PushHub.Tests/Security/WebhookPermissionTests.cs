using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>Webhooks and dead letters: publishers manage those of their own tasks, admins all of them.</summary>
public sealed class WebhookPermissionTests : IDisposable
{
    private readonly HubFactory _hub = SecuredHub.Create();

    public void Dispose() => _hub.Dispose();

    private async Task<(HttpStatusCode Status, string? Id)> CreateAsync(string? key, string? taskId)
    {
        using var client = key is null ? _hub.CreateClient() : _hub.ClientWithKey(key);
        var body = taskId is null ? """{"url":"https://hooks.example.com/in"}""" : $$"""{"url":"https://hooks.example.com/in","task_id":"{{taskId}}"}""";
        using var response = await client.PostAsync("/webhooks", HubClient.Json(body));
        var id = response.StatusCode == HttpStatusCode.Created ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>() : null;
        return (response.StatusCode, id);
    }

    [Theory]
    [InlineData(SecuredHub.PublisherKey, "build-1", HttpStatusCode.Created)]
    [InlineData(SecuredHub.PublisherKey, "deploy-1", HttpStatusCode.Forbidden)]
    [InlineData(SecuredHub.PublisherKey, null, HttpStatusCode.Forbidden)]
    [InlineData(SecuredHub.PublisherKey, "build-*", HttpStatusCode.Created)]
    [InlineData(SecuredHub.PublisherKey, "build-nightly-*", HttpStatusCode.Created)]
    [InlineData(SecuredHub.PublisherKey, "b*", HttpStatusCode.Forbidden)]
    [InlineData(SecuredHub.PublisherKey, "*", HttpStatusCode.Forbidden)]
    [InlineData(SecuredHub.AdminKey, "deploy-*", HttpStatusCode.Created)]
    [InlineData(SecuredHub.AdminKey, null, HttpStatusCode.Created)]
    [InlineData(SecuredHub.AdminKey, "deploy-1", HttpStatusCode.Created)]
    [InlineData(SecuredHub.SubscriberKey, "build-1", HttpStatusCode.Forbidden)]
    [InlineData(SecuredHub.ReaderAllKey, "build-1", HttpStatusCode.Forbidden)]
    [InlineData("not-a-key-0123456789abcdef", "build-1", HttpStatusCode.Unauthorized)]
    [InlineData(null, "build-1", HttpStatusCode.Unauthorized)]
    public async Task Registering_a_webhook_needs_publish_rights_for_its_task(string? key, string? taskId, HttpStatusCode expected)
    {
        var (status, _) = await CreateAsync(key, taskId);
        Assert.Equal(expected, status);
        using var admin = _hub.ClientWithKey(SecuredHub.AdminKey);
        var count = JsonNode.Parse(await admin.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Count;
        Assert.Equal(expected == HttpStatusCode.Created ? 1 : 0, count);
    }

    [Fact]
    public async Task A_publisher_sees_and_changes_only_its_own_tasks_webhooks()
    {
        var (_, own) = await CreateAsync(SecuredHub.PublisherKey, "build-1");
        var (_, foreign) = await CreateAsync(SecuredHub.AdminKey, "deploy-1");
        var (_, everyTask) = await CreateAsync(SecuredHub.AdminKey, null);
        using var publisher = _hub.ClientWithKey(SecuredHub.PublisherKey);

        var listed = JsonNode.Parse(await publisher.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Select(w => w!["id"]!.GetValue<string>());
        Assert.Equal([own!], listed);

        foreach (var id in new[] { foreign!, everyTask! })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync($"/webhooks/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync($"/webhooks/{id}/deliveries")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync($"/webhooks/{id}/rotate-secret", null)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync($"/webhooks/{id}/replay", HubClient.Json("""{"after":0}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":false}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await publisher.DeleteAsync($"/webhooks/{id}")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await publisher.GetAsync($"/webhooks/{own}")).StatusCode);
        // Moving its own webhook to a task it may not publish to is refused too.
        using var move = await publisher.PatchAsync($"/webhooks/{own}", HubClient.Json("""{"task_id":"deploy-2"}"""));
        Assert.Equal(HttpStatusCode.Forbidden, move.StatusCode);
        Assert.Equal("application/problem+json", move.Content.Headers.ContentType?.MediaType);

        using var admin = _hub.ClientWithKey(SecuredHub.AdminKey);
        Assert.Equal(3, JsonNode.Parse(await admin.GetStringAsync("/webhooks"))!["webhooks"]!.AsArray().Count);
        Assert.Equal("deploy-1", JsonNode.Parse(await admin.GetStringAsync($"/webhooks/{foreign}"))!["task_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_publishers_page_of_webhooks_is_filled_with_the_webhooks_it_may_see()
    {
        var (_, own) = await CreateAsync(SecuredHub.PublisherKey, "build-1");
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync(SecuredHub.AdminKey, $"deploy-{i}"); // newer, and not the publisher's
        }
        using var publisher = _hub.ClientWithKey(SecuredHub.PublisherKey);

        var page = JsonNode.Parse(await publisher.GetStringAsync("/webhooks?limit=1"))!["webhooks"]!.AsArray();

        Assert.Equal([own!], page.Select(w => w!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Dead_letters_belong_to_their_webhook()
    {
        // A receiver that answers 410 Gone turns each delivery into a dead letter, as a real one would.
        await using var receiver = await Webhooks.WebhookReceiver.StartAsync();
        receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = 410;
            return Task.CompletedTask;
        };
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var admin = hub.ClientWithKey(SecuredHub.AdminKey);
        using var publisher = hub.ClientWithKey(SecuredHub.PublisherKey);
        var own = await RegisterAsync(publisher, receiver.Url, "build-1");
        var foreign = await RegisterAsync(admin, receiver.Url, "deploy-1");
        // The publisher's dead letter first, so the foreign one is newer and would fill a page of one if it counted.
        var ownLetter = await DeadLetterAsync(admin, own, "build-1");
        var foreignLetter = await DeadLetterAsync(admin, foreign, "deploy-1");

        var listed = JsonNode.Parse(await publisher.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray().Select(d => d!["id"]!.GetValue<long>());
        Assert.Equal([ownLetter], listed);
        var page = JsonNode.Parse(await publisher.GetStringAsync("/dead-letters?limit=1"))!["dead_letters"]!.AsArray().Select(d => d!["id"]!.GetValue<long>());
        Assert.Equal([ownLetter], page);
        Assert.Empty(JsonNode.Parse(await publisher.GetStringAsync($"/dead-letters?webhook_id={foreign}"))!["dead_letters"]!.AsArray());
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync($"/dead-letters/{foreignLetter}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.DeleteAsync($"/dead-letters/{foreignLetter}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync("/dead-letters/replay", HubClient.Json($$"""{"webhook_id":"{{foreign}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await publisher.DeleteAsync($"/dead-letters/{ownLetter}")).StatusCode);

        using var subscriber = hub.ClientWithKey(SecuredHub.SubscriberKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await subscriber.GetAsync("/dead-letters")).StatusCode);
        Assert.Equal([foreignLetter], JsonNode.Parse(await admin.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray()
            .Select(d => d!["id"]!.GetValue<long>()));
    }

    private static async Task<string> RegisterAsync(HttpClient client, string url, string taskId)
    {
        using var response = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{url}}","task_id":"{{taskId}}"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    /// <summary>Publishes an event of <paramref name="taskId"/> and waits for its dead letter at <paramref name="webhookId"/>.</summary>
    private static async Task<long> DeadLetterAsync(HttpClient admin, string webhookId, string taskId)
    {
        await admin.PublishSeqAsync(taskId, "task.completed");
        JsonArray letters = [];
        await Webhooks.WebhookReceiver.WaitForAsync(() =>
            (letters = JsonNode.Parse(admin.GetStringAsync($"/dead-letters?webhook_id={webhookId}").Result)!["dead_letters"]!.AsArray()).Count == 1,
            $"the dead letter of {webhookId}");
        return letters[0]!["id"]!.GetValue<long>();
    }
}
