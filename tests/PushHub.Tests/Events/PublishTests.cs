using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Events;

public sealed class PublishTests : IDisposable
{
    private readonly HubFactory _hub = new();
    private readonly HttpClient _client;

    public PublishTests() => _client = _hub.CreateClient();

    public void Dispose() => _hub.Dispose();

    [Fact]
    public async Task Single_event_is_stored_with_seq_and_timestamp_and_answered_202()
    {
        using var response = await _client.PostAsync("/events",
            HubClient.Json("""{"task_id":"build-17","type":"task.progress","data":{"percent":50,"message":"Compiling"}}"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        var stored = JsonNode.Parse(body)!.AsObject();
        Assert.Equal(["seq", "task_id", "type", "timestamp", "data"], stored.Select(p => p.Key));
        Assert.Equal(1, stored["seq"]!.GetValue<long>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", stored["timestamp"]!.GetValue<string>());
        Assert.Equal("""{"percent":50,"message":"Compiling"}""", stored["data"]!.ToJsonString());

        // The poll answers the very same bytes.
        var page = await _client.GetStringAsync("/events?after=0");
        Assert.Contains(body, page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Data_is_stored_compact_so_no_line_break_reaches_the_wire()
    {
        using var response = await _client.PostAsync("/events",
            HubClient.Json("{\n  \"task_id\": \"t1\",\n  \"type\": \"note\",\n  \"data\": {\n    \"text\": \"line1\\nline2\\r\", \"é\": \"ü\"\n  }\n}"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain('\n', body);
        Assert.DoesNotContain('\r', body);
        Assert.EndsWith("\"data\":{\"text\":\"line1\\nline2\\r\",\"é\":\"ü\"}}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_data_is_stored_as_an_empty_object()
    {
        using var response = await _client.PublishAsync("t1", "task.started");
        var stored = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("{}", stored["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Batch_is_answered_with_every_stored_event_in_order()
    {
        using var response = await _client.PostAsync("/events", HubClient.Json(
            """[{"task_id":"a","type":"task.started"},{"task_id":"b","type":"task.started"},{"task_id":"a","type":"task.progress","data":{"percent":10}}]"""));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var events = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["events"]!.AsArray();
        Assert.Equal([1L, 2L, 3L], events.Select(e => e!["seq"]!.GetValue<long>()));
        Assert.Equal(["a", "b", "a"], events.Select(e => e!["task_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_batch_with_one_bad_item_stores_nothing_and_names_the_item()
    {
        using var response = await _client.PostAsync("/events", HubClient.Json(
            """[{"task_id":"a","type":"task.started"},{"task_id":"a","type":"task.progress","data":{"percent":140}}]"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.NotNull(problem["errors"]!["[1].data.percent"]);
        Assert.Empty((await _client.PollAsync("after=0")).Events);
    }

    [Fact]
    public async Task Idempotency_key_header_returns_the_original_with_200()
    {
        using var first = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = HubClient.Json("""{"task_id":"t","type":"task.started"}""") };
        first.Headers.Add("Idempotency-Key", "deploy-42");
        using var firstResponse = await _client.SendAsync(first);
        var original = await firstResponse.Content.ReadAsStringAsync();

        using var retry = new HttpRequestMessage(HttpMethod.Post, "/events") { Content = HubClient.Json("""{"task_id":"t","type":"task.started"}""") };
        retry.Headers.Add("Idempotency-Key", "deploy-42");
        using var retryResponse = await _client.SendAsync(retry);

        Assert.Equal(HttpStatusCode.Accepted, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retryResponse.StatusCode);
        Assert.Equal(original, await retryResponse.Content.ReadAsStringAsync());
        Assert.Single((await _client.PollAsync("after=0")).Events);
    }

    [Fact]
    public async Task Idempotency_key_per_item_dedupes_retried_batches_and_repeats_within_one()
    {
        const string batch = """[{"task_id":"t","type":"a.b","idempotency_key":"k1"},{"task_id":"t","type":"a.c","idempotency_key":"k2"},{"task_id":"t","type":"a.d","idempotency_key":"k1"}]""";
        using var first = await _client.PostAsync("/events", HubClient.Json(batch));
        var firstSeqs = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToList();
        using var retry = await _client.PostAsync("/events", HubClient.Json(batch));
        var retrySeqs = JsonNode.Parse(await retry.Content.ReadAsStringAsync())!["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToList();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal([1L, 2L, 1L], firstSeqs);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(firstSeqs, retrySeqs);
        Assert.Equal(2, (await _client.PollAsync("after=0")).Events.Count);
    }

    public static TheoryData<string, string> InvalidEvents => new()
    {
        { """{"type":"task.started"}""", "task_id" },
        { """{"task_id":"t"}""", "type" },
        { """{"task_id":"","type":"task.started"}""", "task_id" },
        { """{"task_id":"a/b","type":"task.started"}""", "task_id" },
        { """{"task_id":"..","type":"task.started"}""", "task_id" },
        { """{"task_id":"-a","type":"task.started"}""", "task_id" },
        { """{"task_id":"a\r\nb","type":"task.started"}""", "task_id" },
        { "{\"task_id\":\"" + new string('a', 129) + "\",\"type\":\"task.started\"}", "task_id" },
        { """{"task_id":12,"type":"task.started"}""", "task_id" },
        { """{"task_id":"t","type":"Task.Started"}""", "type" },
        { """{"task_id":"t","type":"task started"}""", "type" },
        { """{"task_id":"t","type":"task.\nstarted"}""", "type" },
        { "{\"task_id\":\"t\",\"type\":\"" + new string('a', 65) + "\"}", "type" },
        { """{"task_id":"t","type":"task.started","data":[1]}""", "data" },
        { """{"task_id":"t","type":"task.started","data":"x"}""", "data" },
        { """{"task_id":"t","type":"task.progress","data":{}}""", "data.percent" },
        { """{"task_id":"t","type":"task.progress","data":{"percent":-1}}""", "data.percent" },
        { """{"task_id":"t","type":"task.progress","data":{"percent":100.5}}""", "data.percent" },
        { """{"task_id":"t","type":"task.progress","data":{"percent":"50"}}""", "data.percent" },
        { """{"task_id":"t","type":"task.progress","data":{"percent":1e400}}""", "data.percent" },
        { """{"task_id":"t","type":"task.progress","data":{"percent":5,"message":7}}""", "data.message" },
        { """{"task_id":"t","type":"task.started","seq":5}""", "seq" },
        { """{"task_id":"t","type":"task.started","taskId":"t"}""", "taskId" },
        { """{"task_id":"t","type":"task.started","idempotency_key":""}""", "idempotency_key" },
        { """[]""", "body" },
        { """[1]""", "[0]" },
        { "\"text\"", "body" },
        { "{\"task_id\":\"t\",\"type\":\"task.started\"", "body" },
        { """{"task_id":"t","type":"task.started"} {}""", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task Invalid_event_is_a_400_naming_the_field_and_stores_nothing(string body, string field)
    {
        using var response = await _client.PostAsync("/events", HubClient.Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        Assert.NotNull(problem["errors"]![field]);
        Assert.Empty((await _client.PollAsync("after=0")).Events);
        Assert.Equal(0, (await _client.PollAsync("after=0")).LastSeq);
    }

    [Fact]
    public async Task Deeply_nested_json_is_a_400_not_a_crash()
    {
        var nested = new string('[', 10_000) + new string(']', 10_000);
        using var response = await _client.PostAsync("/events", HubClient.Json("{\"task_id\":\"t\",\"type\":\"x\",\"data\":{\"a\":" + nested + "}}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await response.ReadProblemAsync();
    }

    [Fact]
    public async Task Invalid_utf8_is_a_400()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"task_id\":\"t\",\"type\":\"x\",\"data\":{\"a\":\"__\"}}");
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var response = await _client.PostAsync("/events", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData(null)]
    public async Task Body_that_is_not_json_is_a_415(string? contentType)
    {
        using var content = new StringContent("""{"task_id":"t","type":"task.started"}""");
        content.Headers.ContentType = contentType is null ? null : new(contentType);
        using var response = await _client.PostAsync("/events", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await response.ReadProblemAsync();
        Assert.Empty((await _client.PollAsync("after=0")).Events);
    }

    [Fact]
    public async Task Event_larger_than_the_limit_is_a_413()
    {
        var big = new string('x', 70_000);
        using var response = await _client.PostAsync("/events", HubClient.Json($"{{\"task_id\":\"t\",\"type\":\"x\",\"data\":{{\"blob\":\"{big}\"}}}}"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Contains("Limits:MaxEventBytes", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await _client.PollAsync("after=0")).Events);
    }

    [Fact]
    public async Task Batch_of_more_than_1000_is_a_413()
    {
        var items = string.Join(',', Enumerable.Repeat("""{"task_id":"t","type":"x"}""", 1001));
        using var response = await _client.PostAsync("/events", HubClient.Json($"[{items}]"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await response.ReadProblemAsync();
    }

    [Fact]
    public async Task Batch_of_exactly_1000_is_stored()
    {
        var items = string.Join(',', Enumerable.Range(0, 1000).Select(i => $"{{\"task_id\":\"t{i % 7}\",\"type\":\"x\"}}"));
        using var response = await _client.PostAsync("/events", HubClient.Json($"[{items}]"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1000, (await _client.PollAsync("after=0&limit=1000")).Events.Count);
    }

    [Fact]
    public async Task Request_body_over_the_request_limit_is_a_413()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Limits:MaxRequestBytes"] = "2048" });
        using var client = hub.CreateClient();
        var items = string.Join(',', Enumerable.Repeat("""{"task_id":"t","type":"x"}""", 200));
        using var response = await client.PostAsync("/events", HubClient.Json($"[{items}]"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Contains("Limits:MaxRequestBytes", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
