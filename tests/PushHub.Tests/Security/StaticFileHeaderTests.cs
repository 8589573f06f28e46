using System.Net;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

public sealed class StaticFileHeaderTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/api.html")]
    [InlineData("/js/app.js")]
    public async Task Dashboard_files_may_not_be_framed_or_sniffed(string path)
    {
        using var hub = new HubFactory();
        using var client = hub.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("frame-ancestors 'none'", Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
    }
}
