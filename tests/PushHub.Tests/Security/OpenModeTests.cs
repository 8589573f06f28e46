using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Security;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

public sealed class OpenModeTests
{
    [Theory]
    [InlineData("http://0.0.0.0:5999")]
    [InlineData("http://*:5999")]
    [InlineData("http://[::]:5999")]
    [InlineData("http://127.0.0.1:5999;http://192.168.1.10:5999")]
    public void Open_hub_refuses_to_start_on_a_non_loopback_address(string urls)
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["urls"] = urls });
        var exception = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Auth:AllowAnonymous", exception.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_hub_starts_on_a_non_loopback_address_when_AllowAnonymous_is_true()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:5999", ["Auth:AllowAnonymous"] = "true" });
        using var client = hub.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PublishAsync("t1", "task.started")).StatusCode);
        Assert.True(hub.Services.GetRequiredService<AuthMode>().IsOpen);
    }

    [Fact]
    public async Task Hub_with_keys_starts_on_a_non_loopback_address()
    {
        using var hub = SecuredHub.Create(new Dictionary<string, string?> { ["urls"] = "http://0.0.0.0:5999" });
        using var client = hub.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/events")).StatusCode);
        Assert.False(hub.Services.GetRequiredService<AuthMode>().IsOpen);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("https://127.8.9.10", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://example.com:5080", false)]
    [InlineData("http://[::]:5080", false)]
    public void Loopback_detection(string url, bool loopback) => Assert.Equal(loopback, OpenModeGuard.IsLoopback(url));

    [Fact]
    public async Task Real_process_refuses_to_start_open_on_0_0_0_0()
    {
        using var hub = CapturedHubProcess.Start("--urls", "http://0.0.0.0:0");
        var exitCode = await hub.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(exitCode is not null, "the hub started open on 0.0.0.0 instead of refusing");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Auth:AllowAnonymous", await hub.OutputAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Real_kestrel_refuses_oversized_request_headers()
    {
        var port = TestPorts.Free();
        using var hub = CapturedHubProcess.Start("--urls", $"http://127.0.0.1:{port}");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await CapturedHubProcess.WaitUntilLiveAsync(client);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/events?after=0");
        request.Headers.TryAddWithoutValidation("X-Padding", new string('p', 40_000));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }
}
