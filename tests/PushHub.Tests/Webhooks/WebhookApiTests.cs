using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookApiTests : IDisposable
{
    private readonly HubFactory _hub = new(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
    private readonly HttpClient _client;

    public WebhookApiTests() => _client = _hub.CreateClient();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Create_answers_201_with_a_generated_secret_that_is_never_shown_again()
    {
        using var response = await _client.PostAsync("/webhooks", HubClient.Json(
            """{"url":"https://example.com/hook","task_id":"build-1","types":["task.completed"],"description":"CI"}"""));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($"/webhooks/{id}", response.Headers.Location!.OriginalString);
        Assert.Matches("^whsec_[A-Za-z0-9+/]{43}=$", created["secret"]!.GetValue<string>());

        var fetched = await _client.GetStringAsync($"/webhooks/{id}");
        var listed = await _client.GetStringAsync("/webhooks");
        Assert.DoesNotContain("secret", fetched, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", listed, StringComparison.Ordinal);
        var webhook = JsonNode.Parse(fetched)!;
        Assert.Equal("build-1", webhook["task_id"]!.GetValue<string>());
        Assert.Equal("task.completed", webhook["types"]![0]!.GetValue<string>());
        Assert.True(webhook["enabled"]!.GetValue<bool>());
        Assert.Equal(id, JsonNode.Parse(listed)!["webhooks"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_given_secret_is_kept()
    {
        using var response = await _client.PostAsync("/webhooks", HubClient.Json("""{"url":"https://example.com/h","secret":"my-own-secret-1"}"""));
        Assert.Equal("my-own-secret-1", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["secret"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{}""", "url")]
    [InlineData("""{"url":"ftp://example.com/x"}""", "url")]
    [InlineData("""{"url":"/relative"}""", "url")]
    [InlineData("""{"url":42}""", "url")]
    [InlineData("""{"url":"https://user:pw@example.com/"}""", "url")]
    [InlineData("""{"url":"https://example.com/","task_id":"bad id"}""", "task_id")]
    [InlineData("""{"url":"https://example.com/","task_id":"deploy*-x"}""", "task_id")]
    [InlineData("""{"url":"https://example.com/","types":["Task.Progress"]}""", "types[0]")]
    [InlineData("""{"url":"https://example.com/","types":[]}""", "types")]
    [InlineData("""{"url":"https://example.com/","secret":"short"}""", "secret")]
    [InlineData("""{"url":"https://example.com/","colour":"red"}""", "colour")]
    [InlineData("""[1]""", "body")]
    [InlineData("""{"url":""", "body")]
    public async Task Bad_registrations_are_400_naming_the_field_and_store_nothing(string body, string field)
    {
        using var response = await _client.PostAsync("/webhooks", HubClient.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.NotNull(problem["errors"]![field]);
        Assert.Contains("\"webhooks\":[]", await _client.GetStringAsync("/webhooks"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        using var response = await _client.PostAsync("/webhooks", new StringContent("url=x"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await response.ReadProblemAsync();
    }

    [Fact]
    public async Task Patch_changes_only_the_given_fields_and_delete_removes()
    {
        var id = await CreateAsync();
        using var patched = await _client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":false,"types":["task.failed"],"task_id":null}"""));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var webhook = JsonNode.Parse(await patched.Content.ReadAsStringAsync())!;
        Assert.False(webhook["enabled"]!.GetValue<bool>());
        Assert.Equal("task.failed", webhook["types"]![0]!.GetValue<string>());
        Assert.Null(webhook["task_id"]);
        Assert.Equal("https://example.com/hook", webhook["url"]!.GetValue<string>());

        using var badPatch = await _client.PatchAsync($"/webhooks/{id}", HubClient.Json("""{"enabled":"yes","secret":"x"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, badPatch.StatusCode);
        var problem = await badPatch.ReadProblemAsync();
        Assert.NotNull(problem["errors"]!["enabled"]);
        Assert.NotNull(problem["errors"]!["secret"]);

        using var deleted = await _client.DeleteAsync($"/webhooks/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await _client.GetAsync($"/webhooks/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await gone.ReadProblemAsync();
    }

    [Fact]
    public async Task Rotation_answers_the_new_secret_and_when_the_old_one_stops_signing()
    {
        var id = await CreateAsync();
        using var response = await _client.PostAsync($"/webhooks/{id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("whsec_", rotated["secret"]!.GetValue<string>(), StringComparison.Ordinal);
        var expires = DateTimeOffset.Parse(rotated["previous_secret_expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(24.1));
    }

    [Theory]
    [InlineData("GET", "/webhooks/wh_nope")]
    [InlineData("DELETE", "/webhooks/wh_nope")]
    [InlineData("POST", "/webhooks/wh_nope/rotate-secret")]
    [InlineData("GET", "/webhooks/wh_nope/deliveries")]
    [InlineData("POST", "/dead-letters/12345/replay")]
    [InlineData("DELETE", "/dead-letters/12345")]
    public async Task Unknown_ids_are_404_problems(string method, string path)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await response.ReadProblemAsync();
    }

    [Theory]
    [InlineData("/webhooks?limit=0", "limit")]
    [InlineData("/webhooks?limit=1001", "limit")]
    [InlineData("/dead-letters?limit=abc", "limit")]
    [InlineData("/dead-letters?webhook=x", "webhook")]
    public async Task Out_of_range_query_parameters_are_400(string path, string field)
    {
        using var response = await _client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
    }

    [Theory]
    [InlineData("""{}""", "after")]
    [InlineData("""{"after":-1}""", "after")]
    [InlineData("""{"after":5,"until":2}""", "until")]
    [InlineData("""{"after":0,"from":2}""", "from")]
    public async Task Bad_replay_ranges_are_400(string body, string field)
    {
        var id = await CreateAsync();
        using var response = await _client.PostAsync($"/webhooks/{id}/replay", HubClient.Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull((await response.ReadProblemAsync())["errors"]![field]);
    }

    [Fact]
    public async Task Replay_all_dead_letters_needs_a_known_webhook()
    {
        using var missing = await _client.PostAsync("/dead-letters/replay", HubClient.Json("""{}"""));
        Assert.NotNull((await missing.ReadProblemAsync())["errors"]!["webhook_id"]);
        using var unknown = await _client.PostAsync("/dead-letters/replay", HubClient.Json("""{"webhook_id":"wh_nope"}"""));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var id = await CreateAsync();
        using var none = await _client.PostAsync("/dead-letters/replay", HubClient.Json($$"""{"webhook_id":"{{id}}"}"""));
        Assert.Equal(HttpStatusCode.Accepted, none.StatusCode);
        Assert.Equal(0, JsonNode.Parse(await none.Content.ReadAsStringAsync())!["queued"]!.GetValue<int>());
    }

    [Fact]
    public async Task Readiness_reports_the_dispatcher_running()
    {
        // The dispatcher becomes ready once it has loaded the webhooks, just after the hub starts.
        string? status = null;
        await WebhookReceiver.WaitForAsync(() => (status = ReadyStatus()) == "Healthy", "a ready dispatcher");

        string ReadyStatus() =>
            JsonNode.Parse(_client.GetAsync("/health/ready").Result.Content.ReadAsStringAsync().Result)!["checks"]!["webhook-dispatcher"]!["status"]!.GetValue<string>();
    }

    private async Task<string> CreateAsync()
    {
        using var response = await _client.PostAsync("/webhooks", HubClient.Json("""{"url":"https://example.com/hook","task_id":"b1"}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }
}
