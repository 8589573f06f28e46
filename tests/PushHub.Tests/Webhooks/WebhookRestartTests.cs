using Microsoft.Extensions.Time.Testing;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

public sealed class WebhookRestartTests
{
    [Fact]
    public async Task Deliveries_pending_when_the_hub_dies_are_delivered_after_restart_with_the_same_ids()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var healthy = false;
        receiver.Respond = (_, context) =>
        {
            context.Response.StatusCode = Volatile.Read(ref healthy) ? 200 : 500;
            return Task.CompletedTask;
        };
        // The receiver outlives both hubs, so neither harness may dispose it.
        await using var first = await WebhookHarness.StartAsync(receiver: receiver);
        var (id, _) = await first.RegisterAsync();
        var seqs = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add(await first.Client.PublishSeqAsync("t1", "task.heartbeat"));
        }
        await first.WaitForAttemptsAsync(id, seqs.Count);

        // A hard kill: the database files exactly as they are on disk now, with no shutdown of the first hub.
        var copy = TestPaths.NewTempDirectory();
        foreach (var file in Directory.GetFiles(first.Hub.DataDirectory).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }
        var firstIds = receiver.Received.Select(d => d.Headers["webhook-id"]).ToHashSet();
        var before = receiver.Count;

        Volatile.Write(ref healthy, true);
        await using var second = await WebhookHarness.StartAsync(time: new FakeTimeProvider(first.Time.GetUtcNow()), dataDirectory: copy,
            receiver: receiver);
        await first.Hub.DisposeAsync();
        second.Time.Advance(TimeSpan.FromMinutes(1));

        await WebhookReceiver.WaitForAsync(() => receiver.Count >= before + seqs.Count, "every pending delivery after restart",
            () => second.Time.Advance(TimeSpan.FromSeconds(1)));
        var redelivered = receiver.Received.Skip(before).Select(d => d.Headers["webhook-id"]).ToHashSet();
        Assert.Equal(seqs.Select(s => $"evt_{s}").ToHashSet(), redelivered);
        Assert.Equal(firstIds, redelivered);
    }

    [Fact]
    public async Task Deliveries_in_flight_when_the_hub_process_is_killed_are_delivered_by_the_next_one()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = (n, context) => n <= 5 ? release.Task.WaitAsync(context.RequestAborted) : Task.CompletedTask;
        var data = TestPaths.NewTempDirectory();
        try
        {
            var database = Path.Combine(data, "pushhub.db");
            using (var first = await HubProcess.StartAsync(database))
            {
                using var created = await first.Client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
                Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
                for (var i = 0; i < 5; i++)
                {
                    await first.Client.PublishSeqAsync("t1", "task.heartbeat");
                }
                await WebhookReceiver.WaitForAsync(() => receiver.Count == 5, "five deliveries in flight");
                first.Kill();
            }

            using var second = await HubProcess.StartAsync(database);
            await WebhookReceiver.WaitForAsync(() => receiver.Count >= 10, "the five deliveries again from the restarted hub");
            var ids = receiver.Received.Select(d => d.Headers["webhook-id"]).ToList();
            Assert.Equal(ids.Take(5).Order(), ids.Skip(5).Take(5).Order());
            Assert.Equal(["evt_1", "evt_2", "evt_3", "evt_4", "evt_5"], ids.Skip(5).Take(5).Order());
        }
        finally
        {
            release.TrySetResult();
            TestPaths.TryDelete(data);
        }
    }
}
