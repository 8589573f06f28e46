using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Webhooks;

/// <summary>Runs only where node and npm are on PATH (.ci/run installs them); skipped with the reason otherwise.</summary>
public sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (StandardWebhooksVerifierTests.FindOnPath("node") is null || StandardWebhooksVerifierTests.FindOnPath("npm") is null)
        {
            Skip = "node and npm are not on PATH: install Node.js (apt-get install nodejs npm) to check deliveries with the standardwebhooks npm library";
        }
    }
}

public sealed class StandardWebhooksVerifierTests
{
    [NodeFact]
    public async Task Deliveries_are_accepted_by_the_standardwebhooks_npm_library_before_and_after_rotation()
    {
        var verifier = PrepareVerifier();
        await using var receiver = await WebhookReceiver.StartAsync();
        using var hub = new HubFactory(new Dictionary<string, string?> { ["Webhooks:AllowPrivateNetworks"] = "true" });
        using var client = hub.CreateClient();
        using var created = await client.PostAsync("/webhooks", HubClient.Json($$"""{"url":"{{receiver.Url}}"}"""));
        var webhook = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var id = webhook["id"]!.GetValue<string>();
        var oldSecret = webhook["secret"]!.GetValue<string>();

        await client.PublishSeqAsync("build-1", "task.progress", new { percent = 10, message = "naïve ✓ \"quoted\"" });
        await client.PublishSeqAsync("build-1", "task.completed");
        await WebhookReceiver.WaitForAsync(() => receiver.Count == 2, "two deliveries");

        using var rotated = await client.PostAsync($"/webhooks/{id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!["secret"]!.GetValue<string>();
        Assert.NotEqual(oldSecret, newSecret);
        await client.PublishSeqAsync("build-2", "task.started");
        await WebhookReceiver.WaitForAsync(() => receiver.Count == 3, "a delivery after rotation");

        var all = receiver.Received.OrderBy(d => d.Number).ToList();
        Assert.Equal(2, all[2].Headers["webhook-signature"].Split(' ').Length);
        AssertAccepted(verifier, oldSecret, all);
        AssertAccepted(verifier, newSecret, all.Skip(2));
        // And the verifier is not a rubber stamp: the new secret did not sign what came before the rotation.
        Assert.NotEqual(0, Verify(verifier, newSecret, all.Take(1)).Code);
    }

    private static void AssertAccepted(string verifier, string secret, IEnumerable<ReceivedDelivery> deliveries)
    {
        var list = deliveries.ToList();
        var (code, output) = Verify(verifier, secret, list);
        Assert.True(code == 0, "standardwebhooks rejected a delivery:\n" + output);
        Assert.Equal(list.Count, output.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
    }

    private static (int Code, string Output) Verify(string verifier, string secret, IEnumerable<ReceivedDelivery> deliveries)
    {
        var input = new JsonObject
        {
            ["secret"] = secret,
            ["deliveries"] = new JsonArray(deliveries.Select(d => (JsonNode)new JsonObject
            {
                ["headers"] = JsonSerializer.SerializeToNode(d.Headers),
                ["body"] = d.BodyText,
            }).ToArray()),
        };
        var file = Path.Combine(verifier, $"input-{Guid.NewGuid():n}.json");
        File.WriteAllText(file, input.ToJsonString());
        return Run(verifier, "node", "verify.js", file);
    }

    private static string PrepareVerifier()
    {
        var source = Path.Combine(TestPaths.RepositoryRoot, "tests", "PushHub.Tests", "Webhooks", "verifier");
        var target = TestPaths.NewTempDirectory();
        foreach (var name in (string[])["package.json", "package-lock.json", "verify.js"])
        {
            File.Copy(Path.Combine(source, name), Path.Combine(target, name));
        }
        var (code, output) = Run(target, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error");
        Assert.True(code == 0, "npm ci failed (is the npm registry reachable?):\n" + output);
        return target;
    }

    private static (int Code, string Output) Run(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(FindOnPath(program)!) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{program} did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
