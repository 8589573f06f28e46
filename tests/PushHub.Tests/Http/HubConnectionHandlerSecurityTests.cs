using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Http;

/// <summary>
/// The connection handler with API keys: it serves the streams and polls a key or token may read, and leaves every
/// refusal to the pipeline (so 401 and 403 are the pipeline's own).
/// </summary>
public sealed class HubConnectionHandlerSecurityTests() : LiveHubTest(SecuredHub.Settings())
{
    private const string Stream = "Connection: close";  // the handler's stream
    private const string Poll = "Content-Length: 44";   // the handler's answer to a poll of nothing yet
    private const string Problem = "Content-Type: application/problem+json";

    [Theory]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events/sse?task=build-1", "HTTP/1.1 200 OK", Stream)]
    [InlineData("Authorization: Bearer " + SecuredHub.SubscriberKey, "/events/sse?task=build-1", "HTTP/1.1 200 OK", Stream)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events/sse?task=deploy-1", "HTTP/1.1 403 Forbidden", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events/sse", "HTTP/1.1 403 Forbidden", Problem)]
    [InlineData("X-Api-Key: wrong-key-0123456789abcdef", "/events/sse?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Trace: none", "/events/sse?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 200 OK", Poll)]
    [InlineData("Authorization: Bearer " + SecuredHub.SubscriberKey, "/events?task=build-1&wait=0", "HTTP/1.1 200 OK", Poll)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events?task=deploy-1", "HTTP/1.1 403 Forbidden", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey, "/events", "HTTP/1.1 403 Forbidden", Problem)]
    [InlineData("X-Api-Key: wrong-key-0123456789abcdef", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Trace: none", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.ReaderAllKey, "/events", "HTTP/1.1 200 OK", Poll)]
    [InlineData("authorization: bearer " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 200 OK", Poll)]
    [InlineData("x-api-key: " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 200 OK", Poll)]
    [InlineData("Authorization: Basic c3ViOmtleQ==", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("Authorization: Bearer " + SecuredHub.SubscriberKey + "\r\nAuthorization: Bearer " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey + "\r\nX-Api-Key: " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key: " + SecuredHub.SubscriberKey + "\r\nAuthorization: Bearer wrong-key-0123456789abcdef", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key: \r\nX-Trace: none", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("Authorization: \r\nX-Api-Key: " + SecuredHub.SubscriberKey, "/events?task=build-1", "HTTP/1.1 401 Unauthorized", Problem)]
    [InlineData("X-Api-Key:\t" + SecuredHub.SubscriberKey + "\t", "/events?task=build-1", "HTTP/1.1 200 OK", Poll)]
    public async Task Keys_are_checked_as_the_pipeline_checks_them(string credential, string target, string status, string header)
    {
        var answer = await HeadOfAsync($"GET {target} HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\n{credential}\r\n\r\n");
        Assert.StartsWith(status + "\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\n" + header + "\r\n", answer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/events/sse", "build-1", "HTTP/1.1 200 OK", Stream)]
    [InlineData("/events/sse", "build-2", "HTTP/1.1 403 Forbidden", Problem)]
    [InlineData("/events", "build-1", "HTTP/1.1 200 OK", Poll)]
    [InlineData("/events", "build-2", "HTTP/1.1 403 Forbidden", Problem)]
    public async Task A_subscribe_token_is_checked_for_its_tasks(string path, string task, string status, string header)
    {
        var token = await Hub.Factory.IssueTokenAsync(SecuredHub.PublisherKey, """["build-1"]""");
        var answer = await HeadOfAsync($"GET {path}?task={task}&access_token={token} HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\n\r\n");
        Assert.StartsWith(status + "\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("\r\n" + header + "\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_poll_after_an_answered_one_is_the_pipelines_refusal()
    {
        await using var raw = await RawConnection.OpenAsync(Hub, Timeout.Token);
        await raw.SendAsync(
            $"GET /events?task=build-1 HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\nX-Api-Key: {SecuredHub.SubscriberKey}\r\n\r\n" +
            $"GET /events?task=build-1 HTTP/1.1\r\nHost: {Hub.BaseAddress.Authority}\r\n\r\n");
        var (first, _) = await raw.ReadResponseAsync();
        var (second, _) = await raw.ReadResponseAsync();
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", first, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 401 Unauthorized\r\n", second, StringComparison.Ordinal);
    }

    private async Task<string> HeadOfAsync(string request)
    {
        await using var raw = await RawConnection.OpenAsync(Hub, Timeout.Token);
        await raw.SendAsync(request);
        var text = await raw.ReadUntilAsync("\r\n\r\n");
        return text[..(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 2)];
    }
}
