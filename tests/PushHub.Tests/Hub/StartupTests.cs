using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Hub;

public sealed class StartupTests
{
    [Theory]
    [InlineData("Retention:MaxEvents", "0")]
    [InlineData("Limits:MaxEventBytes", "10")]
    [InlineData("Tasks:StuckAfter", "00:00:00")]
    [InlineData("Storage:Synchronous", "Sometimes")]
    public void Invalid_option_stops_the_start_with_a_message_naming_the_key(string key, string value)
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains(key, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_provider_this_version_does_not_have_stops_the_start_saying_so()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Storage:Provider"] = "Redis" });
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Storage:Provider is Redis, but the Redis provider is not built into this version", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_answer_and_ready_checks_the_store()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var live = await client.GetAsync("/health/live");
        var ready = JsonNode.Parse(await client.GetStringAsync("/health/ready"))!;

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", ready["status"]!.GetValue<string>());
        Assert.Equal("Healthy", ready["checks"]!["store"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_dashboard_page_is_served_at_the_root()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        var page = await client.GetStringAsync("/");
        Assert.Contains("<title>PushHub", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_id_is_honoured_and_returned()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        request.Headers.Add("X-Request-ID", "abc-123");
        using var response = await client.SendAsync(request);
        Assert.Equal("abc-123", response.Headers.GetValues("X-Request-ID").Single());
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem()
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var response = await client.GetAsync("/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
