using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class TeamsFormatTests : NotificationFormatSpec
{
    protected override string Format => "teams";

    protected override string Url => Fakes.TeamsUrl;

    protected override IReadOnlyList<string> Secrets => [Fakes.TeamsSig];

    protected override FakeAnswer? DisablingAnswer => FakeAnswer.TeamsFlowNotFound;

    protected override FakeAnswer? PermanentAnswer => new(400, """{"error":{"code":"InvalidRequestContent","message":"The input body for trigger 'manual' of type 'Request' must be of type JSON"}}""");

    [Fact]
    public void The_message_is_one_adaptive_card_1_4_with_the_task_and_a_link()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Failed, new { error = "out of memory" }));

        Assert.Equal("message", body.GetProperty("type").GetString());
        var attachment = Assert.Single(body.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", card.GetProperty("$schema").GetString());
        var blocks = card.GetProperty("body");
        Assert.Equal("TextBlock", blocks[0].GetProperty("type").GetString());
        Assert.Equal("build-17 failed: out of memory", blocks[0].GetProperty("text").GetString());
        Assert.True(blocks[0].GetProperty("wrap").GetBoolean());
        var action = card.GetProperty("actions")[0];
        Assert.Equal("Action.OpenUrl", action.GetProperty("type").GetString());
        Assert.Equal("https://push.example.com/#/tasks/build-17", action.GetProperty("url").GetString());
    }

    [Fact]
    public void Event_text_is_escaped_for_card_markdown()
    {
        var body = Kit.Body(Destination("**{{ task_id }}**: {{ error }}"), FormatKit.Event(EventTypes.Failed, new { error = "*not bold* [link](x)" }));

        var text = body.GetProperty("attachments")[0].GetProperty("content").GetProperty("body")[0].GetProperty("text").GetString();
        Assert.Equal(@"**build-17**: \*not bold\* \[link\](x)", text);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    public async Task Power_automate_accepts_with_200_or_202(int status)
    {
        Fakes.Enqueue(FakeAnswer.Of(status));
        Assert.Equal(VerdictKind.Delivered, (await Kit.SendAsync(Destination())).Verdict.Kind);
    }

    [Fact]
    public void Only_the_signature_is_masked()
    {
        Assert.EndsWith("/workflows/5f3c0ffee/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=****",
            Destination().MaskedAddress, StringComparison.Ordinal);
    }
}
