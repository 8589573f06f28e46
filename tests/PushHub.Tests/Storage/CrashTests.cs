using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage;

public sealed class CrashTests
{
    [Fact]
    public async Task A_hub_killed_hard_while_publishers_run_loses_no_acknowledged_event()
    {
        var directory = TestPaths.NewTempDirectory();
        var database = Path.Combine(directory, "pushhub.db");
        try
        {
            var acknowledged = new ConcurrentDictionary<long, string>();
            using (var hub = await HubProcess.StartAsync(database))
            {
                using var stop = new CancellationTokenSource();
                var publishers = Enumerable.Range(0, 8).Select(p => Task.Run(async () =>
                {
                    using var client = hub.CreateClient();
                    for (var n = 0; !stop.IsCancellationRequested; n++)
                    {
                        try
                        {
                            var body = $"{{\"task_id\":\"crash-{p}\",\"type\":\"task.progress\",\"data\":{{\"percent\":{n % 101},\"n\":{n}}}}}";
                            using var response = await client.PostAsync("/events", HubClient.Json(body));
                            if (response.StatusCode == HttpStatusCode.Accepted)
                            {
                                var text = await response.Content.ReadAsStringAsync();
                                acknowledged[JsonNode.Parse(text)!["seq"]!.GetValue<long>()] = text;
                            }
                        }
                        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or IOException)
                        {
                            return; // the hub is gone: this request was never acknowledged
                        }
                    }
                })).ToList();

                // Kill once enough has been acknowledged (a count, not a time), while requests are in flight.
                while (acknowledged.Count < 400)
                {
                    await Task.Delay(10);
                }
                hub.KillHard();
                stop.Cancel();
                await Task.WhenAll(publishers);
            }

            using var restarted = await HubProcess.StartAsync(database);
            using var reader = restarted.CreateClient();
            var stored = (await reader.PollAllAsync()).ToDictionary(e => e["seq"]!.GetValue<long>(), e => e.ToJsonString());
            foreach (var (seq, text) in acknowledged)
            {
                Assert.True(stored.TryGetValue(seq, out var found), $"acknowledged seq {seq} is missing after the crash");
                Assert.Equal(text, found);
            }
            var seqs = stored.Keys.Order().ToList();
            Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
            Assert.Equal(seqs[^1] + 1, await reader.PublishSeqAsync("after-crash", "x"));
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }
}
