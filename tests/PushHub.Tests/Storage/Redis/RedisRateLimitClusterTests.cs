using System.Net;
using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Storage.Redis;

/// <summary>Publish rate limits in cluster mode: one API key's token bucket is shared by two hubs on one Redis.</summary>
public sealed class RedisRateLimitClusterTests
{
    [RedisFact]
    public async Task A_keys_burst_is_shared_by_every_hub_and_refills_on_the_clock()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow); // it never moves on its own: no refill mid-test
        using var first = new HubFactory(Settings(redis), time);
        using var second = new HubFactory(Settings(redis), time);
        using var one = first.ClientWithKey(SecuredHub.PublisherKey);
        using var two = second.ClientWithKey(SecuredHub.PublisherKey);

        // Burst=3 spread over both hubs: all three go through.
        foreach (var client in new[] { one, two, one })
        {
            using var accepted = await client.PublishAsync("build-1", "task.heartbeat");
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }
        // The fourth is refused on EITHER hub, with Retry-After and the usual problem+json.
        foreach (var client in new[] { two, one })
        {
            using var limited = await client.PublishAsync("build-1", "task.heartbeat", new { note = "refused" });
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), limited.Headers.RetryAfter?.Delta); // 1 permit per second
            var problem = await limited.ReadProblemAsync();
            Assert.Equal(429, problem["status"]!.GetValue<int>());
        }
        // Another key has its own bucket, on either hub.
        using (var admin = second.ClientWithKey(SecuredHub.AdminKey))
        using (var other = await admin.PublishAsync("build-1", "task.heartbeat"))
        {
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        }

        // Nothing refused was stored: the log holds the three publisher events and the admin's, no more.
        using (var reader = first.ClientWithKey(SecuredHub.AdminKey))
        {
            var events = await reader.PollAllAsync();
            Assert.Equal([1L, 2L, 3L, 4L], events.Select(e => e["seq"]!.GetValue<long>()));
            Assert.DoesNotContain(events, e => e.ToJsonString().Contains("refused", StringComparison.Ordinal));
        }

        // The bucket's key is under the prefix, names neither the key's secret nor its name, and expires.
        var keys = Elements(await redis.CommandAsync("KEYS", "cluster:ratelimit:*"));
        Assert.Equal(2, keys.Count); // the publisher's and the admin's
        Assert.All(keys, key =>
        {
            Assert.DoesNotContain(SecuredHub.PublisherKey, key, StringComparison.Ordinal);
            Assert.DoesNotContain("publisher", key, StringComparison.Ordinal);
        });
        foreach (var key in keys)
        {
            var ttl = long.Parse((await redis.CommandAsync("PTTL", key)).Trim(':', '\r', '\n'));
            Assert.InRange(ttl, 1, 5_000); // a full refill (3 s) and a margin: an idle key vanishes
        }

        // After Retry-After on the shared clock, one more permit is there, on either hub, and only one.
        time.Advance(TimeSpan.FromSeconds(1));
        using (var again = await two.PublishAsync("build-1", "task.heartbeat"))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }
        using (var limitedAgain = await one.PublishAsync("build-1", "task.heartbeat"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limitedAgain.StatusCode);
        }
    }

    private static Dictionary<string, string?> Settings(RedisServer redis) => SecuredHub.Settings(new Dictionary<string, string?>
    {
        ["Storage:Provider"] = "Redis",
        ["Storage:Redis:Configuration"] = redis.Configuration,
        ["Storage:Redis:KeyPrefix"] = "cluster:",
        ["Auth:TokenSigningKey"] = "a-signing-key-of-at-least-thirty-two-chars",
        ["RateLimiting:PermitsPerSecond"] = "1",
        ["RateLimiting:Burst"] = "3",
    });

    /// <summary>The bulk strings of a RESP array reply.</summary>
    private static List<string> Elements(string reply) =>
        reply.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Where(line => line[0] is not '*' and not '$').ToList();
}
