using System.Text.RegularExpressions;

namespace PushHub.Bench;

/// <summary>Whether a figure must stay at or above, or at or below, its limit.</summary>
internal enum Bound
{
    AtLeast,
    AtMost,
}

/// <summary>
/// One of DESIGN.md's performance targets, as it states it: a bound on PushHub's figure itself
/// (<see cref="Reference"/> null), or on its ratio to the same figure of another server measured in the same run
/// (<c>nchan</c> or <c>bare</c>). <see cref="ReferenceLabel"/> names the scenario the reference is taken from
/// when it is not the row's own (the steady scenario with a webhook compares with Nchan's plain steady run).
/// </summary>
internal sealed record Target(string Scenario, Regex Label, string Figure, Bound Bound, double Limit, string? Reference, string Text,
    Func<string, string>? ReferenceLabel = null)
{
    /// <summary>True when <paramref name="value"/> (the figure, or the ratio) meets the target.</summary>
    public bool Met(double value) => Bound == Bound.AtLeast ? value >= Limit : value <= Limit;

    /// <summary>DESIGN.md, "Performance targets", at the sizes it names, and zero for everything that must be exact.</summary>
    public static IReadOnlyList<Target> Design { get; } =
    [
        new("single-event publish, 32 publishers", Pattern(@"^publish, 32 clients"), "events/s", Bound.AtLeast, 0.6, "bare", "≥ 0.6× bare Kestrel"),
        new("single-event publish, 32 publishers", Pattern(@"^publish, 32 clients"), "request p99 ms", Bound.AtMost, 5, null, "≤ 5 ms"),
        new("batch publish", Pattern(@"^batch "), "events/s", Bound.AtLeast, 150_000, null, "≥ 150,000/s"),
        new("5,000 SSE subscribers, 10 events/s", Pattern(@"^sse 5000 subscribers, 10 events/s"), "p99 ms", Bound.AtMost, 0.8, "nchan", "≤ 0.8× Nchan"),
        new("5,000 WebSocket subscribers, 10 events/s", Pattern(@"^ws 5000 subscribers, 10 events/s"), "p99 ms", Bound.AtMost, 0.8, "nchan", "≤ 0.8× Nchan"),
        new("5,000 SSE subscribers, offered 50 events/s", Pattern(@"^sse 5000 subscribers, 50 events/s"), "deliveries/s", Bound.AtLeast, 3, "nchan", "≥ 3× Nchan"),
        new("5,000 WebSocket subscribers, offered 50 events/s", Pattern(@"^ws 5000 subscribers, 50 events/s"), "deliveries/s", Bound.AtLeast, 3, "nchan", "≥ 3× Nchan"),
        new("steady light load", Pattern(SteadyLabel), "p99 ms", Bound.AtMost, 5, "nchan", "≤ 5× Nchan", WithoutWebhook),
        new("steady light load", Pattern(SteadyLabel), "max ms", Bound.AtMost, 50, null, "≤ 50 ms"),
        new("10,000 idle SSE subscribers", Pattern(@"^idle 10000 "), "KB per subscriber (VmRSS)", Bound.AtMost, 12, null, "≤ 12 KB"),
        // From the publish's sending, not its answer: Nchan wakes its polls before it answers the publisher, so
        // its p99 from the answer can be zero or below (it was in two of three runs), and no ratio is defined.
        new("10,000 parked long-polls, one publish", Pattern(@"^longpoll 10000 "), "wake-up after publish sent, p99 ms", Bound.AtMost, 0.8, "nchan", "≤ 0.8× Nchan"),
        new("webhooks to a local receiver", Pattern(@"^webhooks"), "deliveries/s", Bound.AtLeast, 5_000, null, "≥ 5,000/s"),
    ];

    /// <summary>
    /// Figures that must be zero in every scenario: nothing lost, doubled, refused or out of the server's order,
    /// and the load generator's exit status (it fails a run for any of those, and for a timeout).
    /// </summary>
    public static IReadOnlySet<string> MustBeZero { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "lost", "duplicates", "out of seq order", "failures", "rejected signatures", "webhook duplicates", "exit status",
    };

    /// <summary>The steady scenario's label with its webhook variant's suffix.</summary>
    public const string WebhookSuffix = ", one webhook registered";

    private const string SteadyLabel = @"^steady 500 SSE subscribers over 50 tasks, 200 events/s";

    private static string WithoutWebhook(string label) => label.Replace(WebhookSuffix, "", StringComparison.Ordinal);

    private static Regex Pattern(string pattern) => new(pattern, RegexOptions.CultureInvariant);
}
