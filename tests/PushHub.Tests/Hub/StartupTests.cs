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
    public void Redis_without_a_configuration_stops_the_start_naming_the_key()
    {
        using var hub = new HubFactory(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Redis",
            ["Auth:TokenSigningKey"] = "a-signing-key-of-at-least-thirty-two-chars",
        });
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Storage:Redis:Configuration is required when Storage:Provider is Redis", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_mode_without_a_shared_token_signing_key_stops_the_start_naming_the_key()
    {
        using var hub = new HubFactory(new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Redis",
            ["Storage:Redis:Configuration"] = "127.0.0.1:1",
        });
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Auth:TokenSigningKey is required when Storage:Provider is Redis", error.ToString(), StringComparison.Ordinal);
    }

    [RedisFact]
    public async Task Two_hubs_on_one_Redis_share_one_log_and_a_poll_on_one_sees_a_publish_on_the_other()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Redis",
            ["Storage:Redis:Configuration"] = redis.Configuration,
            ["Auth:TokenSigningKey"] = "a-signing-key-of-at-least-thirty-two-chars",
        };
        using var first = new HubFactory(settings);
        using var second = new HubFactory(settings);
        using var one = first.CreateClient();
        using var two = second.CreateClient();

        using var published = await one.PostAsync("/events",
            new StringContent("""{"task_id":"build-1","type":"task.started"}""", System.Text.Encoding.UTF8, "application/json"));
        var polled = JsonNode.Parse(await two.GetStringAsync("/events?after=0"))!;
        using var next = await two.PostAsync("/events",
            new StringContent("""{"task_id":"build-1","type":"task.completed"}""", System.Text.Encoding.UTF8, "application/json"));
        var task = JsonNode.Parse(await one.GetStringAsync("/tasks/build-1"))!;

        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        Assert.Equal(1, polled["events"]![0]!["seq"]!.GetValue<long>());
        Assert.Equal("build-1", polled["events"]![0]!["task_id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, next.StatusCode);
        Assert.Equal("completed", task["status"]!.GetValue<string>());
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
