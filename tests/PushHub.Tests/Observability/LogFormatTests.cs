using System.Text.Json;
using PushHub.Tests.Infrastructure;
using PushHub.Tests.Security;

namespace PushHub.Tests.Observability;

public sealed class LogFormatTests
{
    [Fact]
    public async Task Json_log_format_writes_one_json_object_per_line()
    {
        // Open mode on a non-loopback address: the hub logs why it refuses, then exits by itself.
        using var hub = CapturedHubProcess.Start("--urls", "http://0.0.0.0:0", "--Logs:Format", "json");
        Assert.NotNull(await hub.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        var lines = (await hub.OutputAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var logged = lines.Where(line => line.StartsWith('{')).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.NotEmpty(logged);
        Assert.All(logged, entry => Assert.True(entry.TryGetProperty("@t", out _) && entry.TryGetProperty("@m", out _)));
        Assert.Contains(logged, entry => entry.GetProperty("@m").GetString()!.Contains("Auth:AllowAnonymous", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_log_format_stops_the_start_naming_the_key()
    {
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Logs:Format"] = "xml" });
        var error = Assert.ThrowsAny<Exception>(() => hub.CreateClient());
        Assert.Contains("Logs:Format", error.ToString(), StringComparison.Ordinal);
    }
}
