using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>
/// A live (Kestrel) secured hub on a fake clock, holding subscribe tokens of every kind: valid for <c>build-*</c>,
/// valid for another task only, expired on the hub's clock, and signed with a foreign key.
/// </summary>
public sealed class TokenTransportHub : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public LiveHub Hub { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Hub = new LiveHub(SecuredHub.Settings(), Time);
        Tokens = await Hub.Factory.IssueTokenKindsAsync(Time);
    }

    public Task DisposeAsync()
    {
        Hub.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// The token rows of the permission matrix on the three streaming transports (SSE, raw WebSocket, SignalR over
/// JSON and MessagePack): an expired or foreign-signed token is a 401, a token for another task a 403 (or, on
/// SignalR, where the task is chosen per call, a hub error), and a valid token gets the event.
/// </summary>
public sealed class TransportTokenTests(TokenTransportHub fixture) : IClassFixture<TokenTransportHub>, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private LiveHub Hub => fixture.Hub;

    private string Query(string token, string task = "build-1", long? after = null) =>
        $"?task={task}{(after is null ? "" : $"&after={after}")}&access_token={Uri.EscapeDataString(fixture.Tokens[token])}";

    private async Task<long> PublishAsync(string taskId)
    {
        using var admin = new HttpClient { BaseAddress = Hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);
        return await admin.PublishSeqAsync(taskId, "task.heartbeat");
    }

    [Theory]
    [InlineData("expired", HttpStatusCode.Unauthorized)]
    [InlineData("wrong-signature", HttpStatusCode.Unauthorized)]
    [InlineData("other-task", HttpStatusCode.Forbidden)]
    public async Task Sse_refuses_a_bad_token_with_a_problem(string token, HttpStatusCode expected)
    {
        using var client = new HttpClient { BaseAddress = Hub.BaseAddress };

        using var response = await client.GetAsync("/events/sse" + Query(token, after: 0), HttpCompletionOption.ResponseHeadersRead, _timeout.Token);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("expired", HttpStatusCode.Unauthorized)]
    [InlineData("wrong-signature", HttpStatusCode.Unauthorized)]
    [InlineData("other-task", HttpStatusCode.Forbidden)]
    public async Task WebSocket_upgrade_with_a_bad_token_is_refused(string token, HttpStatusCode expected)
    {
        var refused = await WsClient.RefusedAsync(Hub.BaseAddress, "/events/ws", Query(token, after: 0), _timeout.Token);

        Assert.Equal(expected, refused.Status);
        // A 401 says how to authenticate; a 403 does not invite another try with the same credentials.
        Assert.Equal(expected == HttpStatusCode.Unauthorized, refused.Headers.ContainsKey("WWW-Authenticate"));
    }

    [Theory]
    [InlineData("expired", false)]
    [InlineData("expired", true)]
    [InlineData("wrong-signature", false)]
    [InlineData("wrong-signature", true)]
    public async Task SignalR_connection_with_a_bad_token_is_refused_with_401(string token, bool messagePack)
    {
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() =>
            SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, _timeout.Token, query: $"?access_token={Uri.EscapeDataString(fixture.Tokens[token])}"));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Sse_with_a_valid_token_streams_the_event()
    {
        var seq = await PublishAsync("build-1");
        using var client = new HttpClient { BaseAddress = Hub.BaseAddress };

        await using var sse = await SseClient.OpenAsync(client, Query("build", after: seq - 1), cancellationToken: _timeout.Token);

        Assert.Equal(seq.ToString(), (await sse.NextAsync())!.Value.EventId);
    }

    [Fact]
    public async Task WebSocket_with_a_valid_token_streams_the_event()
    {
        var seq = await PublishAsync("build-1");

        await using var ws = await WsClient.ConnectAsync(Hub.BaseAddress, Query("build", after: seq - 1), _timeout.Token);

        Assert.Equal("subscribed", (await ws.ReceiveJsonAsync())["op"]!.GetValue<string>());
        var frame = await ws.ReceiveJsonAsync();
        Assert.Equal(seq, frame["seq"]!.GetValue<long>());
        Assert.Equal("build-1", frame["task_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignalR_with_a_valid_token_gets_the_event(bool messagePack)
    {
        var seq = await PublishAsync("build-1");
        await using var client = await SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, _timeout.Token,
            query: $"?access_token={Uri.EscapeDataString(fixture.Tokens["build"])}");

        await client.Connection.InvokeAsync("Subscribe", "build-1", (long?)(seq - 1), _timeout.Token);

        Assert.Equal(seq, SignalRClient.SeqOf((await client.NextAsync())!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignalR_token_for_another_task_cannot_subscribe_to_this_one_and_gets_none_of_its_events(bool messagePack)
    {
        var before = await PublishAsync("build-1");
        await using var client = await SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, _timeout.Token,
            query: $"?access_token={Uri.EscapeDataString(fixture.Tokens["other-task"])}");

        var refused = await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync("Subscribe", "build-1", (long?)0, _timeout.Token));
        Assert.Contains("build-1", refused.Message, StringComparison.Ordinal);

        // The token's own task works on the same connection, and only its events arrive.
        await client.Connection.InvokeAsync("Subscribe", "deploy-1", (long?)before, _timeout.Token);
        await PublishAsync("build-1");
        var allowed = await PublishAsync("deploy-1");
        Assert.Equal(allowed, SignalRClient.SeqOf((await client.NextAsync())!));
    }

    public void Dispose() => _timeout.Dispose();
}
