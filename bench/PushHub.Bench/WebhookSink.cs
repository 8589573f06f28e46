using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace PushHub.Bench;

/// <summary>
/// The local webhook receiver, <c>bench/webhooks/receiver.js</c> (Node: independent of the hub's own stack),
/// started as a child process on a loopback port of its choosing. It checks every delivery's Standard Webhooks
/// signature against the secret this side registered, answers 204 at once, and counts deliveries, duplicate
/// <c>webhook-id</c>s and rejected signatures. The child ends with this object, or with this process (its stdin closes).
/// </summary>
internal sealed class WebhookSink : IAsyncDisposable
{
    private readonly Process _node;
    private readonly HttpClient _http;

    private WebhookSink(Process node, int port, string secret)
    {
        _node = node;
        Secret = secret;
        Url = new Uri($"http://127.0.0.1:{port}/hook");
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Where the hub delivers.</summary>
    public Uri Url { get; }

    /// <summary>The signing secret the webhook is registered with (<c>whsec_</c> + 32 random bytes).</summary>
    public string Secret { get; }

    /// <summary>Starts the receiver; null (reason on stderr) when node or the script is missing or it did not start.</summary>
    public static async Task<WebhookSink?> StartAsync()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "webhooks", "receiver.js");
        if (!File.Exists(script))
        {
            Console.Error.WriteLine($"{script} is missing: build bench/PushHub.Bench");
            return null;
        }
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var start = new ProcessStartInfo("node") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { script, "--secret", secret })
        {
            start.ArgumentList.Add(argument);
        }
        Process node;
        try
        {
            node = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"cannot start node for the webhook receiver ({e.Message}): install Node.js");
            return null;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await node.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"the webhook receiver did not start: {line}");
            node.Kill();
            node.Dispose();
            return null;
        }
        return new WebhookSink(node, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture), secret);
    }

    /// <summary>Registers the receiver as a webhook for every task (open mode) on the hub behind <paramref name="hub"/>.</summary>
    public async Task<bool> RegisterAsync(HttpClient hub)
    {
        using var response = await hub.PostAsJsonAsync("/webhooks", new { url = Url.ToString(), secret = Secret, description = "bench" });
        if (response.StatusCode != HttpStatusCode.Created)
        {
            Console.Error.WriteLine($"POST /webhooks answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()} " +
                "(the hub needs Webhooks:AllowPrivateNetworks=true to deliver to loopback)");
            return false;
        }
        return true;
    }

    /// <summary>What the receiver has counted since it started or was last reset.</summary>
    public async Task<SinkCounts> CountsAsync() =>
        (await _http.GetFromJsonAsync<SinkCounts>("/stats"))!;

    /// <summary>Starts a new count (after a warm-up); ids already seen still count as duplicates when they come again.</summary>
    public async Task ResetAsync() => (await _http.PostAsync("/stats/reset", null)).Dispose();

    /// <summary>Waits until <paramref name="expected"/> deliveries were counted, or <paramref name="limit"/> passed; the last counts.</summary>
    public async Task<SinkCounts> WaitForAsync(long expected, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        SinkCounts counts;
        while ((counts = await CountsAsync()).Deliveries < expected && clock.Elapsed < limit)
        {
            await Task.Delay(100);
        }
        return counts;
    }

    /// <summary>Stops the receiver.</summary>
    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_node.HasExited)
        {
            _node.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _node.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _node.Kill();
            }
        }
        _node.Dispose();
    }
}

/// <summary>The receiver's counts: accepted deliveries, new ids among them, ids seen again, bad signatures, first→last seconds.</summary>
internal sealed record SinkCounts(
    [property: JsonPropertyName("deliveries")] long Deliveries,
    [property: JsonPropertyName("distinct")] long Distinct,
    [property: JsonPropertyName("duplicates")] long Duplicates,
    [property: JsonPropertyName("rejected")] long Rejected,
    [property: JsonPropertyName("seconds")] double Seconds);
