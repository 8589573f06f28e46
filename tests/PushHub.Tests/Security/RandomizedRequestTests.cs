using System.Text.Json;
using CsCheck;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Security;

/// <summary>Randomized publish and poll requests (CsCheck): never a 5xx, and a 4xx never changes the store.</summary>
public sealed class RandomizedRequestTests(HostileHub fixture) : IClassFixture<HostileHub>
{
    private static readonly Gen<string> s_text = Gen.OneOf(
        Gen.OneOf("build-1", "t", "a.b_c:d-e", "", "..", "a/b", "a\r\nb", "x\0", "ü", new string('a', 128), new string('a', 129), "\ud800", "task.progress", "Task.Progress"),
        Gen.String,
        Gen.String["abcdefghijklmnopqrstuvwxyz0123456789.-_:/*\\ \r\n\"{}[]%"]);

    private static readonly Gen<string> s_number = Gen.OneOf(
        Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "1e400"),
        Gen.OneOf("0", "-1", "100", "101", "1e400", "-0", "1.5", "\"50\"", "null", "true", "[]", "{}"));

    /// <summary>A JSON-ish value: a quoted string (possibly with escapes of lone surrogates), a number, or junk.</summary>
    private static readonly Gen<string> s_value = Gen.OneOf(s_text.Select(text => JsonSerializer.Serialize(text)), s_number, s_text);

    private static readonly Gen<string> s_event = Gen.Select(s_value, s_value, s_value, Gen.Bool, Gen.Bool,
        (task, type, percent, withData, extraField) =>
            "{\"task_id\":" + task + ",\"type\":" + type
            + (withData ? ",\"data\":{\"percent\":" + percent + ",\"message\":" + task + "}" : "")
            + (extraField ? ",\"extra\":" + percent : "") + "}");

    private static readonly Gen<(HttpMethod Method, string Path, string? Body)> s_publish = Gen.OneOf(
        s_event,
        s_event.Array[1, 4].Select(events => "[" + string.Join(",", events) + "]"),
        s_text).Select(body => (HttpMethod.Post, "/events", (string?)body));

    private static readonly Gen<(HttpMethod Method, string Path, string? Body)> s_poll = Gen.Select(
        Gen.OneOf("after", "limit", "wait", "task", "type", "bogus", "after"),
        Gen.OneOf(s_number, s_text),
        Gen.OneOf("after", "limit", "task", "type", "wait"),
        Gen.OneOf(s_number, s_text),
        (name1, value1, name2, value2) =>
        {
            // A valid positive wait would long-poll for real; keep waits invalid or zero so that no case blocks.
            if (name1 == "wait" && int.TryParse(value1, out var w1) && w1 is > 0 and <= 60) { value1 = "0"; }
            if (name2 == "wait" && int.TryParse(value2, out var w2) && w2 is > 0 and <= 60) { value2 = "0"; }
            var query = $"{name1}={Uri.EscapeDataString(value1)}&{name2}={Uri.EscapeDataString(value2)}";
            return (HttpMethod.Get, "/events?" + query, (string?)null);
        });

    [Fact]
    public async Task Random_publish_and_poll_requests_never_get_a_5xx_and_a_4xx_changes_nothing()
    {
        using var client = fixture.Hub.ClientWithKey(SecuredHub.AdminKey);
        await Gen.OneOf(s_publish, s_poll).SampleAsync(async request =>
        {
            var before = await fixture.Hub.LastSeqAsync();
            using var message = new HttpRequestMessage(request.Method, request.Path);
            if (request.Body is not null)
            {
                message.Content = HubClient.Json(request.Body);
            }
            using var response = await client.SendAsync(message);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(status < 500, $"{request.Method} {request.Path} {request.Body} → {status}: {text}");
            if (status >= 400)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal(before, await fixture.Hub.LastSeqAsync());
            }
        }, iter: 400, threads: 1, print: request => $"{request.Method} {request.Path} {request.Body}");
    }
}
