using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PushHub.Security;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>A hub with API keys configured: one per role, with task patterns inside and outside <c>build-*</c>.</summary>
public static class SecuredHub
{
    public const string AdminKey = "admin-key-0123456789abcdef";
    public const string PublisherKey = "pub-build-key-0123456789";
    public const string SubscriberKey = "sub-build-key-0123456789";
    public const string ReaderAllKey = "sub-all-key-0123456789ab";

    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:0:Name"] = "admin",
            ["Auth:ApiKeys:0:Key"] = AdminKey,
            ["Auth:ApiKeys:0:Role"] = "admin",
            ["Auth:ApiKeys:1:Name"] = "build-publisher",
            ["Auth:ApiKeys:1:Key"] = PublisherKey,
            ["Auth:ApiKeys:1:Role"] = "publisher",
            ["Auth:ApiKeys:1:Tasks:0"] = "build-*",
            ["Auth:ApiKeys:2:Name"] = "build-subscriber",
            ["Auth:ApiKeys:2:Key"] = SubscriberKey,
            ["Auth:ApiKeys:2:Role"] = "subscriber",
            ["Auth:ApiKeys:2:Tasks:0"] = "build-*",
            ["Auth:ApiKeys:3:Name"] = "reader-all",
            ["Auth:ApiKeys:3:Key"] = ReaderAllKey,
            ["Auth:ApiKeys:3:Role"] = "subscriber",
            ["Auth:ApiKeys:3:Tasks:0"] = "*",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        return settings;
    }

    public static HubFactory Create(IDictionary<string, string?>? extra = null, FakeTimeProvider? time = null) =>
        new(Settings(extra), time);

    /// <summary>A client that sends <paramref name="key"/> as <c>Authorization: Bearer</c>.</summary>
    public static HttpClient ClientWithKey(this HubFactory hub, string key)
    {
        var client = hub.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Asks for a subscribe token with <paramref name="key"/>; fails the test unless the hub answered 200.</summary>
    public static async Task<string> IssueTokenAsync(this HubFactory hub, string key, string tasksJson, int ttlSeconds = 3600)
    {
        using var client = hub.ClientWithKey(key);
        using var response = await client.PostAsync("/tokens", HubClient.Json($$"""{"tasks":{{tasksJson}},"ttl_seconds":{{ttlSeconds}}}"""));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"expected 200 from POST /tokens, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["token"]!.GetValue<string>();
    }

    /// <summary>
    /// One subscribe token of each kind the permission matrix needs — <c>build</c> (build-*, from the publisher key),
    /// <c>other-task</c> (deploy-1 only), <c>expired</c> (60 s) and <c>wrong-signature</c> (a foreign key) — then
    /// advances <paramref name="time"/>, the hub's clock, past the expired one's end. The wall clock would still call it valid.
    /// </summary>
    public static async Task<Dictionary<string, string>> IssueTokenKindsAsync(this HubFactory hub, FakeTimeProvider time)
    {
        var tokens = new Dictionary<string, string>
        {
            ["build"] = await hub.IssueTokenAsync(PublisherKey, """["build-*"]"""),
            ["other-task"] = await hub.IssueTokenAsync(AdminKey, """["deploy-1"]"""),
            ["expired"] = await hub.IssueTokenAsync(AdminKey, """["*"]""", ttlSeconds: 60),
            ["wrong-signature"] = ForeignToken(time.GetUtcNow()),
        };
        time.Advance(TimeSpan.FromSeconds(61));
        return tokens;
    }

    /// <summary>The store's head: <c>last_seq</c> of <c>GET /events?after=0</c>, read with the admin key.</summary>
    public static async Task<long> LastSeqAsync(this HubFactory hub, string? key = AdminKey)
    {
        using var client = key is null ? hub.CreateClient() : hub.ClientWithKey(key);
        var node = await client.GetFromJsonAsync<JsonObject>("/events?after=0&limit=1");
        return node!["last_seq"]!.GetValue<long>();
    }

    /// <summary>
    /// A subscribe token with exactly the claims the hub issues (for every task, valid an hour from <paramref name="now"/>)
    /// but signed with a key this hub never saw: only the signature is wrong.
    /// </summary>
    public static string ForeignToken(DateTimeOffset now) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = SubscribeTokens.Issuer,
        Audience = SubscribeTokens.Audience,
        IssuedAt = now.UtcDateTime,
        NotBefore = now.UtcDateTime,
        Expires = now.UtcDateTime.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(64)), SecurityAlgorithms.HmacSha256),
        Claims = new Dictionary<string, object>
        {
            [HubClaims.Name] = "build-publisher",
            [HubClaims.Role] = HubRoles.Subscriber,
            [HubClaims.Task] = new[] { TaskPattern.All },
            [HubClaims.Kind] = HubClaims.TokenKind,
        },
    });
}
