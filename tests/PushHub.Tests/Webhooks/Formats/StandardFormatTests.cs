using System.Security.Cryptography;
using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class StandardFormatTests : NotificationFormatSpec
{
    protected override string Format => "standard";

    protected override string Url => Fakes.BaseUrl + "/hook?api_key=ReceiverOwnKey12345";

    protected override IReadOnlyList<string> Secrets => ["ReceiverOwnKey12345"];

    protected override FakeAnswer? DisablingAnswer => FakeAnswer.Of(410, "Gone");

    protected override FakeAnswer? PermanentAnswer => null;

    protected override IReadOnlyList<string>? ExpectedDefaultTypes => null;

    protected override bool ExpectedCoalescing => false;

    [Fact]
    public async Task The_body_is_the_stored_event_byte_for_byte_and_signed()
    {
        var stored = FormatKit.Event(EventTypes.Progress, new { percent = 50, message = "naïve ✓" });
        var destination = Destination();

        await Kit.SendAsync(destination, stored);

        var request = Assert.Single(Fakes.Received);
        Assert.Equal(stored.Json.ToArray(), request.Body);
        var key = WebhookSigner.Key(destination.Signing!.Secret);
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, request.Body)), request.Headers["X-Webhook-Signature"]);
        Assert.Equal("evt_42", request.Headers["webhook-id"]);
        Assert.Equal(FormatKit.Start.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["webhook-timestamp"]);
        Assert.Equal(WebhookSigner.StandardSignature(key, "evt_42", FormatKit.Start.ToUnixTimeSeconds(), request.Body), request.Headers["webhook-signature"]);
        Assert.Equal("build-17", request.Headers["X-Task-ID"]);
        Assert.Equal("task.progress", request.Headers["X-Event-Type"]);
    }

    [Fact]
    public async Task A_client_error_other_than_410_still_retries()
    {
        Fakes.Enqueue(FakeAnswer.Of(404, "no such hook"));
        Assert.Equal(VerdictKind.Transient, (await Kit.SendAsync(Destination())).Verdict.Kind);
    }

    [Fact]
    public async Task Rate_limited_with_retry_after_is_deferred()
    {
        Fakes.Enqueue(new FakeAnswer(429, null, "text/plain", new Dictionary<string, string> { ["Retry-After"] = "12" }));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.RetryAt, attempt.Verdict.Kind);
        Assert.Equal(FormatKit.Start.AddSeconds(12), attempt.Verdict.RetryAt);
    }

    [Fact]
    public void Query_values_are_masked()
    {
        Assert.Equal(Fakes.BaseUrl + "/hook?api_key=****", Destination().MaskedAddress);
    }

    [Fact]
    public void Standard_has_no_pacing_of_its_own()
    {
        var destination = Destination();
        Assert.Null(destination.Format.Pacing(destination));
    }
}
