using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

public sealed class PagerDutyFormatTests : NotificationFormatSpec
{
    protected override string Format => "pagerduty";

    protected override string Url => Fakes.PagerDutyUrl;

    protected override object? Options => new { routing_key = Fakes.PagerDutyRoutingKey };

    protected override IReadOnlyList<string> Secrets => [Fakes.PagerDutyRoutingKey];

    protected override FakeAnswer? DisablingAnswer => null;

    protected override FakeAnswer? PermanentAnswer => FakeAnswer.PagerDutyInvalid;

    protected override IReadOnlyList<string>? ExpectedDefaultTypes => [EventTypes.Failed, EventTypes.Stuck, EventTypes.Completed, EventTypes.Cancelled];

    [Fact]
    public void A_failed_task_triggers_an_alert_keyed_by_the_task()
    {
        var body = Kit.Body(Destination(), FormatKit.Event(EventTypes.Failed, new { error = "out of memory", host = "ci-3" }));

        Assert.Equal(Fakes.PagerDutyRoutingKey, body.GetProperty("routing_key").GetString());
        Assert.Equal("trigger", body.GetProperty("event_action").GetString());
        Assert.Equal("build-17", body.GetProperty("dedup_key").GetString());
        var payload = body.GetProperty("payload");
        Assert.Equal("build-17 failed: out of memory", payload.GetProperty("summary").GetString());
        Assert.Equal("pushhub", payload.GetProperty("source").GetString());
        Assert.Equal("error", payload.GetProperty("severity").GetString());
        Assert.Equal("task.failed", payload.GetProperty("class").GetString());
        Assert.Equal("ci-3", payload.GetProperty("custom_details").GetProperty("data").GetProperty("host").GetString());
        Assert.Equal("https://push.example.com/#/tasks/build-17", body.GetProperty("links")[0].GetProperty("href").GetString());
    }

    [Fact]
    public void A_stuck_task_warns_and_options_set_source_and_severity()
    {
        var stuck = Kit.Body(Destination(), FormatKit.Event(EventTypes.Stuck)).GetProperty("payload");
        var custom = Kit.Body(Kit.Destination("pagerduty", Url, new { routing_key = Fakes.PagerDutyRoutingKey, severity = "critical", source = "ci" }))
            .GetProperty("payload");

        Assert.Equal("warning", stuck.GetProperty("severity").GetString());
        Assert.Equal("critical", custom.GetProperty("severity").GetString());
        Assert.Equal("ci", custom.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData(EventTypes.Completed)]
    [InlineData(EventTypes.Cancelled)]
    public void A_finished_task_resolves_its_alert(string type)
    {
        var body = Kit.Body(Destination(), FormatKit.Event(type));

        Assert.Equal("resolve", body.GetProperty("event_action").GetString());
        Assert.Equal("build-17", body.GetProperty("dedup_key").GetString());
        Assert.False(body.TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task An_invalid_event_is_permanent_with_pagerdutys_reason()
    {
        Fakes.Enqueue(FakeAnswer.PagerDutyInvalid);

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Permanent, attempt.Verdict.Kind);
        Assert.StartsWith("answered 400: Event object is invalid: 'payload.severity' is invalid", attempt.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttled_without_retry_after_retries_on_the_schedule()
    {
        Fakes.Enqueue(FakeAnswer.PagerDutyThrottled);

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Transient, attempt.Verdict.Kind);
        Assert.Equal(429, attempt.Status);
    }

    [Fact]
    public void Types_pagerduty_cannot_send_are_refused()
    {
        var (_, errors) = Kit.Check("pagerduty", Url, Options, types: [EventTypes.Failed, EventTypes.Progress]);
        Assert.Contains("not task.progress", errors.ToDictionary()["types"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void The_routing_key_is_never_shown_and_is_checked()
    {
        var (_, errors) = Kit.Check("pagerduty", Url, new { routing_key = "short" });

        Assert.Equal(FormatOption.Mask, Destination().MaskedOptions["routing_key"]);
        Assert.Contains("32-character integration key", errors.ToDictionary()["options.routing_key"][0], StringComparison.Ordinal);
        Assert.DoesNotContain("short", errors.ToDictionary()["options.routing_key"][0], StringComparison.Ordinal);
    }

    [Fact]
    public void Pagerduty_is_paced_to_two_events_a_second_per_routing_key()
    {
        var destination = Destination();
        var rule = destination.Format.Pacing(destination)!;

        Assert.True(Kit.Pacer.TryAcquire(rule, out _));
        Assert.False(Kit.Pacer.TryAcquire(rule, out var notBefore));
        Assert.Equal(FormatKit.Start.AddMilliseconds(500), notBefore);
        Assert.DoesNotContain(Fakes.PagerDutyRoutingKey, rule.Key, StringComparison.Ordinal);
    }
}
