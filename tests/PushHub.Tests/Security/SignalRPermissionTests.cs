using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http.Connections.Client;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>
/// API-key rows of the permission matrix on the SignalR hub, over JSON and MessagePack: an unknown key cannot
/// connect, a key limited to <c>build-*</c> cannot follow another task (a hub error, and none of its events), and a
/// key for every task follows any task.
/// </summary>
public sealed class SignalRPermissionTests() : LiveHubTest(SecuredHub.Settings())
{
    private Task<SignalRClient> ConnectAsync(bool messagePack, string header, string? key) =>
        SignalRClient.ConnectAsync(Hub.BaseAddress, messagePack, Timeout.Token, options => Authorize(options, header, key));

    private static void Authorize(HttpConnectionOptions options, string header, string? key)
    {
        if (key is null)
        {
            return;
        }
        if (header == "Authorization")
        {
            // The client sends it as Authorization: Bearer on negotiate and on the WebSocket upgrade.
            options.AccessTokenProvider = () => Task.FromResult<string?>(key);
        }
        else
        {
            options.Headers[header] = key;
        }
    }

    private async Task<long> PublishAsync(string taskId)
    {
        using var admin = new HttpClient { BaseAddress = Hub.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);
        return await admin.PublishSeqAsync(taskId, "task.heartbeat");
    }

    [Theory]
    [InlineData(false, "Authorization", null)]
    [InlineData(true, "Authorization", null)]
    [InlineData(false, "Authorization", "wrong-key-0123456789abcdef")]
    [InlineData(true, "Authorization", "wrong-key-0123456789abcdef")]
    [InlineData(false, "X-Api-Key", "wrong-key-0123456789abcdef")]
    [InlineData(true, "X-Api-Key", "wrong-key-0123456789abcdef")]
    public async Task A_missing_or_unknown_key_cannot_connect(bool messagePack, string header, string? key)
    {
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => ConnectAsync(messagePack, header, key));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(0, Hub.Connections.Count(PushHub.Hub.Transport.SignalR));
    }

    [Theory]
    [InlineData(false, "Authorization")]
    [InlineData(true, "X-Api-Key")]
    public async Task A_build_key_cannot_follow_another_task_and_gets_only_its_own_events(bool messagePack, string header)
    {
        var start = await PublishAsync("deploy-1");
        await using var client = await ConnectAsync(messagePack, header, SecuredHub.SubscriberKey);

        var refused = await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync("Subscribe", "deploy-1", (long?)0, Timeout.Token));
        Assert.Contains("deploy-1", refused.Message, StringComparison.Ordinal);
        // "Every task" has no spelling on the hub: * is not a task id.
        await Assert.ThrowsAsync<HubException>(() => client.Connection.InvokeAsync("Subscribe", "*", (long?)0, Timeout.Token));
        await client.Connection.InvokeAsync("Subscribe", "build-1", (long?)start, Timeout.Token);

        var expected = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            await PublishAsync("deploy-1");
            expected.Add(await PublishAsync("build-1"));
        }
        var received = new List<long>();
        while (received.Count < expected.Count)
        {
            received.Add(SignalRClient.SeqOf((await client.NextAsync())!));
        }
        Assert.Equal(expected, received);
        Assert.Equal(HubConnectionState.Connected, client.Connection.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_key_for_every_task_follows_any_task(bool messagePack)
    {
        var start = await PublishAsync("other");
        await using var client = await ConnectAsync(messagePack, "Authorization", SecuredHub.ReaderAllKey);

        await client.Connection.InvokeAsync("Subscribe", "deploy-1", (long?)start, Timeout.Token);
        var deploy = await PublishAsync("deploy-1");
        Assert.Equal(deploy, SignalRClient.SeqOf((await client.NextAsync())!));
        await client.Connection.InvokeAsync("Subscribe", "build-1", (long?)deploy, Timeout.Token);
        var build = await PublishAsync("build-1");
        Assert.Equal(build, SignalRClient.SeqOf((await client.NextAsync())!));
    }
}
