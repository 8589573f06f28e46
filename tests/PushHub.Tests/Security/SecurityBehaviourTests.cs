using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using PushHub.Security;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

public sealed class SecurityBehaviourTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(86401)]
    public async Task Token_ttl_outside_1_to_MaxTokenTtlSeconds_is_a_400(int ttl)
    {
        using var hub = SecuredHub.Create();
        using var client = hub.ClientWithKey(SecuredHub.AdminKey);
        using var response = await client.PostAsync("/tokens", HubClient.Json($$"""{"tasks":["build-*"],"ttl_seconds":{{ttl}}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.NotNull(problem["errors"]!["ttl_seconds"]);
    }

    [Fact]
    public async Task Token_expires_at_its_ttl_on_the_hubs_clock_and_says_so()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var hub = SecuredHub.Create(time: time);
        using var publisher = hub.ClientWithKey(SecuredHub.PublisherKey);
        using var issued = await publisher.PostAsync("/tokens", HubClient.Json("""{"tasks":["build-1"],"ttl_seconds":30}"""));
        var body = JsonNode.Parse(await issued.Content.ReadAsStringAsync())!;
        Assert.Equal((time.GetUtcNow() + TimeSpan.FromSeconds(30)).ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), body["expires_at"]!.GetValue<string>());
        var url = "/events?task=build-1&access_token=" + body["token"]!.GetValue<string>();

        using var anonymous = hub.CreateClient();
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(url)).StatusCode);
        time.Advance(TimeSpan.FromSeconds(2));
        using var expired = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("expired", (await expired.ReadProblemAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generated_signing_key_is_kept_beside_the_database_for_its_owner_only_and_survives_a_restart()
    {
        string token, keyText;
        using (var first = SecuredHub.Create())
        {
            token = await first.IssueTokenAsync(SecuredHub.AdminKey, """["*"]""");
            var keyFile = Path.Combine(first.DataDirectory, TokenSigningKey.FileName);
            Assert.True(File.Exists(keyFile));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }
            keyText = await File.ReadAllTextAsync(keyFile);
        }

        // A restart finds the key file in its data directory and accepts the tokens issued before.
        var directory = TestPaths.NewTempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, TokenSigningKey.FileName), keyText);
        using var second = new HubFactory(SecuredHub.Settings(), dataDirectory: directory);
        using var client = second.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/events?access_token=" + token)).StatusCode);
    }

    [Fact]
    public async Task Publishing_past_the_keys_burst_is_a_429_with_Retry_After()
    {
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { ["RateLimiting:PermitsPerSecond"] = "1", ["RateLimiting:Burst"] = "2" });
        using var client = hub.ClientWithKey(SecuredHub.PublisherKey);
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await client.PublishAsync("build-1", "task.heartbeat");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }
        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        await limited.ReadProblemAsync();

        // Another key has its own bucket.
        using var admin = hub.ClientWithKey(SecuredHub.AdminKey);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PublishAsync("build-1", "task.heartbeat")).StatusCode);
    }

    [Fact]
    public async Task Cors_allows_only_the_configured_origins()
    {
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example.com" });
        using var client = hub.CreateClient();
        foreach (var (origin, allowed) in new[] { ("https://app.example.com", true), ("https://evil.example.com", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/events");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "GET");
            using var response = await client.SendAsync(request);
            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Contains(origin));
        }
    }

    [Theory]
    [InlineData("Auth:ApiKeys:0:Role", "owner", "Auth:ApiKeys:0:Role")]
    [InlineData("Auth:ApiKeys:0:Key", "short", "Auth:ApiKeys:0:Key")]
    [InlineData("Auth:ApiKeys:1:Tasks:0", "build-*-x", "Auth:ApiKeys:1:Tasks:0")]
    [InlineData("Auth:MaxTokenTtlSeconds", "0", "Auth:MaxTokenTtlSeconds")]
    [InlineData("Auth:TokenSigningKey", "too-short", "Auth:TokenSigningKey")]
    public void Invalid_auth_settings_stop_the_start_with_a_message_naming_the_key(string key, string value, string named)
    {
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { [key] = value });
        var exception = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains(named, exception.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(SecuredHub.AdminKey, exception.ToString(), StringComparison.Ordinal);
    }
}
