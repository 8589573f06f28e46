using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Observability;

public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApi_document_describes_the_endpoints_with_their_shapes()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        var doc = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
        var paths = doc["paths"]!.AsObject();

        Assert.NotNull(paths["/events"]!["post"]);
        Assert.NotNull(paths["/events"]!["get"]);
        Assert.NotNull(paths["/tasks"]!["get"]);
        Assert.NotNull(paths["/tasks/{id}"]!["get"]);

        var poll = paths["/events"]!["get"]!;
        var parameters = poll["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>());
        Assert.Equal(["after", "task", "type", "limit", "wait"], parameters);
        Assert.Contains("/PollDoc", poll["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>(), StringComparison.Ordinal);

        var publish = paths["/events"]!["post"]!;
        Assert.NotNull(publish["requestBody"]!["content"]!["application/json"]);
        Assert.NotNull(publish["responses"]!["202"]);
        Assert.NotNull(publish["responses"]!["415"]);

        var eventSchema = doc["components"]!["schemas"]!["EventDoc"]!["properties"]!.AsObject();
        Assert.Equal(["seq", "task_id", "type", "timestamp", "data"], eventSchema.Select(p => p.Key));
    }

    [Fact]
    public async Task Api_reference_page_is_served()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        var page = await client.GetStringAsync("/api.html");
        var script = await client.GetStringAsync("/api.js");

        Assert.Contains("PushHub API reference", page, StringComparison.Ordinal);
        Assert.Contains("/openapi/v1.json", script, StringComparison.Ordinal);
    }
}
