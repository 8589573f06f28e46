using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;

namespace PushHub.Tests.Webhooks;

public sealed class SsrfGuardTests
{
    public static TheoryData<string> ForbiddenAddresses =>
    [
        "127.0.0.1", "127.255.0.9", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1",
        "100.64.0.1", "100.127.255.254", "169.254.169.254", "0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255",
        "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:c0a8:101::1",
    ];

    [Theory]
    [MemberData(nameof(ForbiddenAddresses))]
    public void Private_and_reserved_addresses_are_forbidden(string address) =>
        Assert.True(SsrfGuard.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::1")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.False(SsrfGuard.IsForbidden(IPAddress.Parse(address)));

    [Theory]
    [InlineData("http://127.0.0.1/hook")]
    [InlineData("http://10.1.2.3/hook")]
    [InlineData("http://172.16.0.1/hook")]
    [InlineData("http://192.168.0.10:8080/hook")]
    [InlineData("http://100.64.0.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("http://224.0.0.1/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("http://[fc00::1]/hook")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://[::ffff:127.0.0.1]/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://2130706433/hook")]
    [InlineData("http://0x7f.0.0.1/hook")]
    [InlineData("http://[::ffff:a9fe:a9fe]/hook")]
    public async Task Registration_refuses_private_targets_with_400_naming_url(string url)
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var response = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{url}}"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadProblemAsync();
        Assert.Contains("AllowPrivateNetworks", problem["errors"]!["url"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("\"webhooks\":[]", await client.GetStringAsync("/webhooks"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task Connect_time_check_refuses_a_name_or_address_that_resolves_privately(string host)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.Url).Port;
        using var hub = new HubFactory();
        var clients = hub.Services.GetRequiredService<IHttpClientFactory>();
        using var client = clients.CreateClient(WebhookSender.ClientName);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://{host}:{port}/hook", new StringContent("{}")));

        Assert.Contains("Refused to connect", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, receiver.Count);
    }
}
