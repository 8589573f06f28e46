using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>A keyed hub holding a few events, with a small request size limit; shared by the hostile cases.</summary>
public sealed class HostileHub : IAsyncLifetime
{
    public HubFactory Hub { get; } = SecuredHub.Create(new Dictionary<string, string?> { ["Limits:MaxRequestBytes"] = "100000" });

    public async Task InitializeAsync()
    {
        using var admin = Hub.ClientWithKey(SecuredHub.AdminKey);
        await admin.PublishSeqAsync("t", "task.started");
        await admin.PublishSeqAsync("t", "task.progress", new { percent = 10 });
    }

    public Task DisposeAsync()
    {
        Hub.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class HostileInputTests(HostileHub fixture) : IClassFixture<HostileHub>
{
    public static TheoryData<string> Cases => [.. HostileInputCases.All.Keys];

    [Fact]
    public void There_are_at_least_100_cases() => Assert.True(HostileInputCases.All.Count >= 100, $"only {HostileInputCases.All.Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_request_gets_a_4xx_problem_and_changes_nothing(string name)
    {
        var hostile = HostileInputCases.All[name];
        var before = await fixture.Hub.LastSeqAsync();
        using var client = fixture.Hub.CreateClient();
        using var request = new HttpRequestMessage(hostile.Method, hostile.Path);
        if (hostile.Authenticated)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + SecuredHub.AdminKey);
        }
        foreach (var (header, value) in hostile.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }
        if (hostile.Body is not null)
        {
            request.Content = new ByteArrayContent(hostile.Body);
            if (hostile.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", hostile.ContentType);
            }
        }

        using var response = await client.SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status is >= 400 and < 500, $"{name}: expected a 4xx, got {status}: {text}");
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"{name}: expected problem+json, got '{response.Content.Headers.ContentType}': {text}");
        Assert.Equal(before, await fixture.Hub.LastSeqAsync());
    }
}
