using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PushHub.Storage;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage;

public sealed class RetentionTests
{
    [Fact]
    public async Task Count_retention_removes_the_oldest_and_polls_report_truncated()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Retention:MaxEvents"] = "10" });
        using var client = hub.CreateClient();
        for (var i = 0; i < 25; i++)
        {
            await client.PublishSeqAsync($"t{i % 3}", "x");
        }

        var removed = await hub.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<RetentionService>().Single().SweepAsync();

        Assert.Equal(15, removed);
        var fromStart = await client.PollAsync("after=0");
        Assert.True(fromStart.Truncated);
        Assert.Equal(Enumerable.Range(16, 10).Select(i => (long)i), fromStart.Seqs);
        var fromRetained = await client.PollAsync("after=15");
        Assert.False(fromRetained.Truncated);
        Assert.Equal(10, fromRetained.Events.Count);

        // The sequence goes on from where it was, never reusing a removed seq.
        Assert.Equal(26, await client.PublishSeqAsync("t", "x"));
    }

    [Fact]
    public async Task Age_retention_removes_only_events_older_than_max_age()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z"));
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Retention:MaxAge"] = "01:00:00" }, time);
        using var client = hub.CreateClient();
        await client.PublishSeqAsync("t", "x");
        await client.PublishSeqAsync("t", "x");
        time.Advance(TimeSpan.FromMinutes(50));
        await client.PublishSeqAsync("t", "x");
        // Moving the clock also fires the background sweep; either sweep may do the work.
        time.Advance(TimeSpan.FromMinutes(20));
        await hub.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<RetentionService>().Single().SweepAsync();

        var page = await client.PollAsync("after=0");
        Assert.True(page.Truncated);
        Assert.Equal([3L], page.Seqs);
    }

    [Fact]
    public async Task Idempotency_keys_of_removed_events_are_forgotten()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Retention:MaxEvents"] = "1" });
        using var client = hub.CreateClient();
        using var first = await client.PublishAsync("t", "x", idempotencyKey: "k");
        await client.PublishSeqAsync("t", "x");
        await hub.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<RetentionService>().Single().SweepAsync();

        using var retry = await client.PublishAsync("t", "x", idempotencyKey: "k");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, retry.StatusCode);
    }
}
