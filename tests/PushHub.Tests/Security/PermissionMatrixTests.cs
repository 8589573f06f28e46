using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>One hub with keys and tokens of every kind, shared by the matrix rows.</summary>
public sealed class MatrixHub : IAsyncLifetime
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public HubFactory Hub { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; } = [];

    public async Task InitializeAsync()
    {
        Hub = SecuredHub.Create(time: Time);
        using var admin = Hub.ClientWithKey(SecuredHub.AdminKey);
        await admin.PublishSeqAsync("build-1", "task.started");
        await admin.PublishSeqAsync("deploy-1", "task.started");
        foreach (var (kind, token) in await Hub.IssueTokenKindsAsync(Time))
        {
            Tokens["token-" + kind] = token;
        }
    }

    public Task DisposeAsync()
    {
        Hub.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class PermissionMatrixTests(MatrixHub fixture) : IClassFixture<MatrixHub>
{
    /// <summary>The columns of the matrix: each an endpoint with a task inside (build-1) or outside (deploy-1) the build keys' patterns.</summary>
    private static readonly (string Name, HttpMethod Method, string Path, string? Body)[] s_requests =
    [
        ("publish inside", HttpMethod.Post, "/events", """{"task_id":"build-1","type":"task.progress","data":{"percent":5}}"""),
        ("publish outside", HttpMethod.Post, "/events", """{"task_id":"deploy-1","type":"task.progress","data":{"percent":5}}"""),
        ("poll inside", HttpMethod.Get, "/events?task=build-1", null),
        ("poll outside", HttpMethod.Get, "/events?task=deploy-1", null),
        ("poll all", HttpMethod.Get, "/events?after=0", null),
        ("list tasks", HttpMethod.Get, "/tasks", null),
        ("task inside", HttpMethod.Get, "/tasks/build-1", null),
        ("task outside", HttpMethod.Get, "/tasks/deploy-1", null),
        ("token inside", HttpMethod.Post, "/tokens", """{"tasks":["build-*"],"ttl_seconds":60}"""),
        ("token outside", HttpMethod.Post, "/tokens", """{"tasks":["deploy-1"],"ttl_seconds":60}"""),
        ("health", HttpMethod.Get, "/health/live", null),
    ];

    public static TheoryData<string, string> Rows => new()
    {
        // caller                    publish in/out  poll in/out/all  list  task in/out  token in/out  health
        { "none",                   "401 401 401 401 401 401 401 401 401 401 200" },
        { "wrong-key",              "401 401 401 401 401 401 401 401 401 401 200" },
        { "admin",                  "202 202 200 200 200 200 200 200 200 200 200" },
        { "build-publisher",        "202 403 200 403 403 403 200 403 200 403 200" },
        { "build-subscriber",       "403 403 200 403 403 403 200 403 403 403 200" },
        { "reader-all",             "403 403 200 200 200 200 200 200 403 403 200" },
        { "x-api-key-publisher",    "202 403 200 403 403 403 200 403 200 403 200" },
        { "token-build",            "403 403 200 403 403 403 200 403 403 403 200" },
        { "token-other-task",       "403 403 403 200 403 403 403 200 403 403 200" },
        { "token-expired",          "401 401 401 401 401 401 401 401 401 401 200" },
        { "token-wrong-signature",  "401 401 401 401 401 401 401 401 401 401 200" },
        { "token-as-bearer-header", "403 403 200 403 403 403 200 403 403 403 200" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Each_caller_gets_the_contracts_answer_on_each_endpoint(string caller, string expected)
    {
        var expectedCodes = expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(s_requests.Length, expectedCodes.Length);
        using var client = fixture.Hub.CreateClient();
        var mismatches = new List<string>();
        for (var i = 0; i < s_requests.Length; i++)
        {
            var (name, method, path, body) = s_requests[i];
            using var request = new HttpRequestMessage(method, path);
            Authorize(request, caller);
            if (body is not null)
            {
                request.Content = HubClient.Json(body);
            }
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            if (status != expectedCodes[i])
            {
                mismatches.Add($"{name}: expected {expectedCodes[i]}, got {status} {await response.Content.ReadAsStringAsync()}");
            }
            else if (status is 401 or 403)
            {
                var problem = await response.ReadProblemAsync();
                Assert.False(string.IsNullOrEmpty(problem["detail"]?.GetValue<string>()), $"{name}: the problem has no detail");
            }
        }
        Assert.True(mismatches.Count == 0, $"{caller}:\n" + string.Join("\n", mismatches));
    }

    private void Authorize(HttpRequestMessage request, string caller)
    {
        switch (caller)
        {
            case "none":
                break;
            case "wrong-key":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key-0123456789abcdef");
                break;
            case "admin":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.AdminKey);
                break;
            case "build-publisher":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.PublisherKey);
                break;
            case "build-subscriber":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.SubscriberKey);
                break;
            case "reader-all":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecuredHub.ReaderAllKey);
                break;
            case "x-api-key-publisher":
                request.Headers.Add("X-Api-Key", SecuredHub.PublisherKey);
                break;
            case "token-as-bearer-header":
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Tokens["token-build"]);
                break;
            default:
                var token = fixture.Tokens[caller];
                var uri = request.RequestUri!.OriginalString;
                request.RequestUri = new Uri(uri + (uri.Contains('?') ? "&" : "?") + "access_token=" + Uri.EscapeDataString(token), UriKind.Relative);
                break;
        }
    }
}
