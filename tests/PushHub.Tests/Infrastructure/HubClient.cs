using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PushHub.Tests.Infrastructure;

/// <summary>Small helpers for talking to the hub over HTTP in tests.</summary>
public static class HubClient
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static Task<HttpResponseMessage> PublishAsync(this HttpClient client, string taskId, string type, object? data = null, string? idempotencyKey = null)
    {
        var body = new JsonObject { ["task_id"] = taskId, ["type"] = type };
        if (data is not null)
        {
            body["data"] = JsonSerializer.SerializeToNode(data);
        }
        if (idempotencyKey is not null)
        {
            body["idempotency_key"] = idempotencyKey;
        }
        return client.PostAsync("/events", Json(body.ToJsonString()));
    }

    /// <summary>Publishes one event and answers its seq; fails the test unless the hub answered 202.</summary>
    public static async Task<long> PublishSeqAsync(this HttpClient client, string taskId, string type, object? data = null)
    {
        using var response = await client.PublishAsync(taskId, type, data);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["seq"]!.GetValue<long>();
    }

    /// <summary>Publishes <paramref name="count"/> events of one task in one batch and answers their seqs.</summary>
    public static async Task<List<long>> PublishBatchAsync(this HttpClient client, string taskId, int count, string type, JsonObject data, CancellationToken cancellationToken = default)
    {
        var body = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            body.Add(new JsonObject { ["task_id"] = taskId, ["type"] = type, ["data"] = data.DeepClone() });
        }
        using var response = await client.PostAsync("/events", Json(body.ToJsonString()), cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"expected 202, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["events"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToList();
    }

    public static async Task<PollPage> PollAsync(this HttpClient client, string query)
    {
        using var response = await client.GetAsync("/events?" + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}: {text}");
        var node = JsonNode.Parse(text)!;
        var events = node["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        return new PollPage(events, node["last_seq"]!.GetValue<long>(), node["truncated"]!.GetValue<bool>());
    }

    /// <summary>Reads every stored event after <paramref name="after"/> by following <c>last_seq</c>.</summary>
    public static async Task<List<JsonObject>> PollAllAsync(this HttpClient client, long after = 0, string filter = "")
    {
        var all = new List<JsonObject>();
        while (true)
        {
            var page = await client.PollAsync($"after={after}&limit=1000{filter}");
            all.AddRange(page.Events);
            if (page.Events.Count < 1000)
            {
                return all;
            }
            after = page.LastSeq;
        }
    }

    public static async Task<JsonObject> ReadProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }
}

public sealed record PollPage(List<JsonObject> Events, long LastSeq, bool Truncated)
{
    public IEnumerable<long> Seqs => Events.Select(e => e["seq"]!.GetValue<long>());
}
