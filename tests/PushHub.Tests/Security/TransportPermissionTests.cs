using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>SSE and the raw WebSocket apply the same read rule as polling, on a live (Kestrel) secured hub.</summary>
public sealed class TransportPermissionTests() : LiveHubTest(SecuredHub.Settings())
{
    private HttpClient WithKey(string? key)
    {
        var client = new HttpClient { BaseAddress = Hub.BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        return client;
    }

    [Theory]
    [InlineData("/events/sse?task=build-1", null, HttpStatusCode.Unauthorized)]
    [InlineData("/events/sse?task=build-1", "wrong-key-0123456789abcdef", HttpStatusCode.Unauthorized)]
    [InlineData("/events/sse?task=deploy-1", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/sse", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/ws?task=build-1", null, HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws?task=build-1", "wrong-key-0123456789abcdef", HttpStatusCode.Unauthorized)]
    [InlineData("/events/ws?task=deploy-1", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/events/ws?after=0", SecuredHub.SubscriberKey, HttpStatusCode.Forbidden)]
    [InlineData("/hubs/events/negotiate?negotiateVersion=1", null, HttpStatusCode.Unauthorized)]
    public async Task Refused_before_any_stream_starts_with_a_problem(string path, string? key, HttpStatusCode expected)
    {
        using var client = WithKey(key);
        using var request = new HttpRequestMessage(path.StartsWith("/hubs", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get, path);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Timeout.Token);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(SecuredHub.SubscriberKey, "?task=build-1&after=0")]
    [InlineData(SecuredHub.ReaderAllKey, "?after=0")]
    public async Task Sse_streams_the_events_the_key_may_read(string key, string query)
    {
        using var admin = WithKey(SecuredHub.AdminKey);
        var seq = await admin.PublishSeqAsync("build-1", "task.started");
        using var reader = WithKey(key);

        await using var sse = await SseClient.OpenAsync(reader, query, cancellationToken: Timeout.Token);

        Assert.Equal(seq.ToString(), (await sse.NextAsync())!.Value.EventId);
    }

    [Fact]
    public async Task Sse_accepts_a_subscribe_token_in_the_query()
    {
        using var admin = WithKey(SecuredHub.AdminKey);
        var seq = await admin.PublishSeqAsync("build-1", "task.started");
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.PublisherKey, """["build-1"]""");
        using var anonymous = WithKey(null);

        await using var sse = await SseClient.OpenAsync(anonymous, $"?task=build-1&after=0&access_token={token}", cancellationToken: Timeout.Token);

        Assert.Equal(seq.ToString(), (await sse.NextAsync())!.Value.EventId);
    }

    [Theory]
    [InlineData("/events/sse")]
    [InlineData("/events/ws")]
    public async Task A_token_for_another_task_is_refused_with_403(string path)
    {
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.PublisherKey, """["build-2"]""");
        using var anonymous = WithKey(null);

        using var response = await anonymous.GetAsync($"{path}?task=build-1&access_token={token}", HttpCompletionOption.ResponseHeadersRead, Timeout.Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task WebSocket_subscribe_to_an_unreadable_task_gets_an_error_frame_and_the_connection_keeps_working()
    {
        using var admin = WithKey(SecuredHub.AdminKey);
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.PublisherKey, """["build-1"]""");
        await using var ws = await WsClient.ConnectAsync(Hub.BaseAddress, $"?task=build-1&access_token={token}", Timeout.Token);
        // Live only: the effective after is the head (nothing published yet).
        Assert.Equal("""{"op":"subscribed","task_id":"build-1","after":0}""", await ws.ReceiveTextAsync());

        await WebSocketUpgradePermissionTests.AssertSubscribesOutsideBuildRefusedAsync(ws);
        await ws.SendAsync("not json at all {");
        Assert.Equal("error", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());

        await admin.PublishSeqAsync("deploy-1", "task.started");
        var allowed = await admin.PublishSeqAsync("build-1", "task.started");
        var next = await ws.ReceiveJsonAsync();
        Assert.Equal(allowed, next["seq"]!.GetValue<long>());
        Assert.Equal("build-1", next["task_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task SignalR_refuses_an_unreadable_task_and_junk_invocations_and_keeps_the_connection()
    {
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.PublisherKey, """["build-1"]""");
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(Hub.BaseAddress, $"/hubs/events?access_token={token}"))
            .Build();
        await connection.StartAsync(Timeout.Token);

        var refused = await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("Subscribe", "deploy-1", (long?)0, Timeout.Token));
        Assert.Contains("deploy-1", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("Subscribe", new string('x', 10_000), (long?)0, Timeout.Token));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("NoSuchMethod", Timeout.Token));
        await Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync("Subscribe", 42, "not a seq", Timeout.Token));

        await connection.InvokeAsync("Subscribe", "build-1", (long?)0, Timeout.Token);
        Assert.Equal(HubConnectionState.Connected, connection.State);
    }
}
