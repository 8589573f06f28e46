using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Storage;
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
    public async Task Dead_letters_belong_to_their_webhook()
    {
        var (_, own) = await CreateAsync(SecuredHub.PublisherKey, "build-1");
        var (_, foreign) = await CreateAsync(SecuredHub.AdminKey, "deploy-1");
        var ownLetter = await AddDeadLetterAsync(own!, "build-1");
        var foreignLetter = await AddDeadLetterAsync(foreign!, "deploy-1");
        using var publisher = _hub.ClientWithKey(SecuredHub.PublisherKey);

        var listed = JsonNode.Parse(await publisher.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray().Select(d => d!["id"]!.GetValue<long>());
        Assert.Equal([ownLetter], listed);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync($"/dead-letters/{foreignLetter}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.DeleteAsync($"/dead-letters/{foreignLetter}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync("/dead-letters/replay", HubClient.Json($$"""{"webhook_id":"{{foreign}}"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await publisher.DeleteAsync($"/dead-letters/{ownLetter}")).StatusCode);

        using var subscriber = _hub.ClientWithKey(SecuredHub.SubscriberKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await subscriber.GetAsync("/dead-letters")).StatusCode);
        using var admin = _hub.ClientWithKey(SecuredHub.AdminKey);
        Assert.Single(JsonNode.Parse(await admin.GetStringAsync("/dead-letters"))!["dead_letters"]!.AsArray());
    }

    private async Task<long> AddDeadLetterAsync(string webhookId, string taskId)
    {
        var store = _hub.Services.GetRequiredService<PollingStore>();
        await using var connection = await store.OpenReadConnectionAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(
            "INSERT INTO dead_letters (webhook_id, seq, task_id, type, reason, attempts, last_status, created_at, json) " +
            "VALUES (@webhookId, 1, @taskId, 'x', 'test', 9, 500, 0, '{}') RETURNING id", new { webhookId, taskId });
    }
}
