using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Realtime;

/// <summary>
/// A stopping hub lets go of its long-lived requests at once, so a restart is not held up for the host's shutdown
/// timeout: SSE streams end and parked long-polls answer (Kestrel drops upgraded WebSockets by itself). Each
/// client then resumes from its last seq.
/// </summary>
public sealed class ShutdownTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stopping_ends_sse_streams_and_answers_parked_polls(bool connectionHandler)
    {
        using var hub = new LiveHub(new Dictionary<string, string?>
        {
            ["Sse:ConnectionHandler"] = connectionHandler ? "true" : "false",
            ["Hub:PollConnectionHandler"] = connectionHandler ? "true" : "false",
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var head = await hub.Client.PublishSeqAsync("build-1", "task.started");

        await using var sse = await SseClient.OpenAsync(hub.Client, "?task=build-1", lastEventId: 0, timeout.Token);
        Assert.Equal(head.ToString(System.Globalization.CultureInfo.InvariantCulture), (await sse.NextAsync())!.Value.EventId);
        using var pollResponse = hub.Client.GetAsync($"/events?after={head}&task=build-1&wait=60", timeout.Token);
        await WaitForSubscribersAsync(hub, 2, timeout.Token);

        hub.Factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        Assert.Null(await sse.NextAsync());
        using var poll = await pollResponse;
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        // Answered on the path configured: the handler's answer has a length and closes the stopping connection.
        Assert.Equal(connectionHandler, poll.Content.Headers.NonValidated.Contains("Content-Length") && poll.Headers.ConnectionClose == true);
        var page = System.Text.Json.Nodes.JsonNode.Parse(await poll.Content.ReadAsStringAsync(timeout.Token))!;
        Assert.Empty(page["events"]!.AsArray());
        Assert.Equal(head, page["last_seq"]!.GetValue<long>());
    }

    [Fact]
    public async Task Stopping_closes_a_kept_alive_connection_waiting_between_its_polls()
    {
        // Kept alive far longer than the test's bound: only the stop can end it in time.
        using var hub = new LiveHub(new Dictionary<string, string?> { ["Kestrel:Limits:KeepAliveTimeout"] = "00:10:00" });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var raw = await RawConnection.OpenAsync(hub, timeout.Token);
        await raw.SendAsync($"GET /events?after=0 HTTP/1.1\r\nHost: {hub.BaseAddress.Authority}\r\n\r\n");
        var (answer, _) = await raw.ReadResponseAsync();
        Assert.Contains(":P0000001\r\n", answer, StringComparison.Ordinal); // the handler's, kept alive
        Assert.DoesNotContain("Connection: close", answer, StringComparison.Ordinal);

        hub.Factory.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        // The marker: the server ends the idle connection itself, well before the host's shutdown timeout would.
        Assert.True(await raw.EndsAsync());
    }

    private static async Task WaitForSubscribersAsync(LiveHub hub, int count, CancellationToken cancellationToken)
    {
        while (System.Text.Json.Nodes.JsonNode.Parse(await hub.Client.GetStringAsync("/stats", cancellationToken))!["subscribers"]!.GetValue<int>() < count)
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
