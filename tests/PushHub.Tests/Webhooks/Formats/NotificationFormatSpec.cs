using PushHub.Hub;
using PushHub.Tests.Infrastructure;
using PushHub.Webhooks.Formats;

namespace PushHub.Tests.Webhooks.Formats;

/// <summary>
/// What every HTTP notification format must do, run against each one through the service fakes (STYLE:
/// one spec suite per abstraction; each derived class only says how to reach its service). The derived classes
/// add their service's own body shape and answers.
/// </summary>
public abstract class NotificationFormatSpec : IAsyncLifetime
{
    internal FormatKit Kit { get; } = new();

    internal ServiceFakes Fakes { get; private set; } = null!;

    protected abstract string Format { get; }

    protected abstract string Url { get; }

    protected virtual object? Options => null;

    /// <summary>The raw secrets of <see cref="Url"/> and <see cref="Options"/>, which no masked form or error may hold.</summary>
    protected abstract IReadOnlyList<string> Secrets { get; }

    /// <summary>The answer of this service that disables the destination, or null when none does.</summary>
    protected abstract FakeAnswer? DisablingAnswer { get; }

    /// <summary>An answer that dead-letters at once (4xx the service means for good), or null.</summary>
    protected abstract FakeAnswer? PermanentAnswer { get; }

    protected virtual IReadOnlyList<string>? ExpectedDefaultTypes => NotificationFormat.LifecycleTypes;

    protected virtual bool ExpectedCoalescing => true;

    public async Task InitializeAsync() => Fakes = await ServiceFakes.StartAsync();

    public async Task DisposeAsync()
    {
        Kit.Dispose();
        await Fakes.DisposeAsync();
    }

    internal NotificationDestination Destination(string? template = null) => Kit.Destination(Format, Url, Options, template);

    [Fact]
    public async Task The_usual_answer_is_delivered_and_the_request_is_json()
    {
        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Delivered, attempt.Verdict.Kind);
        var request = Assert.Single(Fakes.Received);
        Assert.Equal("POST", request.Method);
        Assert.StartsWith("application/json", request.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.StartsWith("PushHub/", request.Headers["User-Agent"], StringComparison.Ordinal);
        Assert.Equal(new Uri(Url).PathAndQuery, request.PathAndQuery);
    }

    [Fact]
    public async Task No_answer_is_transient_and_its_error_holds_no_secret()
    {
        var nobody = new UriBuilder(Url) { Port = TestPorts.Free() }.Uri.ToString();
        var destination = Kit.Destination(Format, nobody, Options);

        var attempt = await Kit.SendAsync(destination);

        Assert.Equal(VerdictKind.Transient, attempt.Verdict.Kind);
        Assert.Null(attempt.Status);
        Assert.False(string.IsNullOrEmpty(attempt.Error));
        AssertNoSecret(attempt.Error);
    }

    [Fact]
    public async Task A_server_error_retries_on_the_schedule()
    {
        Fakes.Enqueue(FakeAnswer.Of(502, "Bad Gateway"));

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Transient, attempt.Verdict.Kind);
        Assert.Equal(502, attempt.Status);
        Assert.True(attempt.Verdict.IsEndpointFailure);
    }

    [Fact]
    public async Task The_disabling_answer_disables()
    {
        if (DisablingAnswer is null)
        {
            Fakes.Enqueue(FakeAnswer.Of(404, "Not Found"));
            Assert.NotEqual(VerdictKind.Disable, (await Kit.SendAsync(Destination())).Verdict.Kind);
            return;
        }
        Fakes.Enqueue(DisablingAnswer);

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Disable, attempt.Verdict.Kind);
        Assert.Equal(DisablingAnswer.Status, attempt.Status);
        Assert.False(attempt.Verdict.IsEndpointFailure);
    }

    [Fact]
    public async Task A_permanent_answer_dead_letters_at_once()
    {
        if (PermanentAnswer is null)
        {
            return;
        }
        Fakes.Enqueue(PermanentAnswer);

        var attempt = await Kit.SendAsync(Destination());

        Assert.Equal(VerdictKind.Permanent, attempt.Verdict.Kind);
        Assert.Equal(PermanentAnswer.Status, attempt.Status);
    }

    [Fact]
    public async Task Masked_forms_errors_and_excerpts_hold_no_secret()
    {
        var destination = Destination();
        // A service that echoes what it was sent (some proxies do) must not get the secret into the attempt log.
        Fakes.Enqueue(FakeAnswer.Of(500, "failed for " + Url + " " + string.Join(" ", Secrets.Select(Uri.EscapeDataString))));

        var attempt = await Kit.SendAsync(destination);

        Assert.Contains(FormatOption.Mask, attempt.Response!, StringComparison.Ordinal);
        AssertNoSecret(attempt.Response);
        AssertNoSecret(attempt.Error);
        AssertNoSecret(destination.MaskedAddress);
        foreach (var value in destination.MaskedOptions.Values)
        {
            AssertNoSecret(value);
        }
    }

    [Fact]
    public void Validation_errors_never_echo_the_url_or_options()
    {
        var (_, errors) = Kit.Check(Format, Url + "/../extra path with spaces", Options, "{{ oops");
        foreach (var message in errors.ToDictionary().Values.SelectMany(m => m))
        {
            AssertNoSecret(message);
        }
    }

    [Fact]
    public void Defaults_are_the_formats()
    {
        var format = Kit.Formats.Find(Format)!;
        Assert.Equal(ExpectedDefaultTypes, format.DefaultTypes);
        Assert.Equal(ExpectedCoalescing, format.CoalescesProgress);
    }

    [Fact]
    public void A_template_that_does_not_parse_is_an_error_naming_its_line()
    {
        var (destination, errors) = Kit.Check(Format, Url, Options, "Deploy {{ task_id }}\n{% if status == 'failed' %}\nbroken {{ data.message | }}\n{% endif %}");

        Assert.Null(destination);
        var message = Assert.Single(errors.ToDictionary()["template"]);
        if (Kit.Formats.Find(Format)!.UsesTemplate)
        {
            Assert.StartsWith("line 3, column", message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("not used", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_sample_event_makes_a_request()
    {
        var destination = Destination();
        var sample = Kit.Formats.Sample(Kit.Formats.Find(Format)!.SupportedTypes?[0] ?? EventTypes.Failed);
        using var message = destination.Format.CreateMessage(sample, destination, Kit.Time.GetUtcNow());
        Assert.IsType<HttpOutgoing>(message);
    }

    protected void AssertNoSecret(string? text)
    {
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, text ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain(Uri.EscapeDataString(secret), text ?? "", StringComparison.Ordinal);
        }
    }
}
