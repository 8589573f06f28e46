using System.Globalization;

namespace PushHub.Bench;

/// <summary>
/// Percentiles of a sample, and the machine-readable result lines (<c>result &lt;figure&gt;=&lt;value&gt;</c>) that
/// <c>bench/compare-nchan.sh</c> collects into its table beside the human-readable output.
/// </summary>
internal static class Figures
{
    /// <summary>The <paramref name="q"/> quantile (0–1) of an ascending sample; NaN when it is empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];

    /// <summary>"p50 A ms, p99 B ms, max C ms" of an ascending sample.</summary>
    public static string Latency(IReadOnlyList<double> sorted) =>
        string.Create(CultureInfo.InvariantCulture, $"p50 {Percentile(sorted, 0.50):F1} ms, p99 {Percentile(sorted, 0.99):F1} ms, max {Percentile(sorted, 1):F1} ms");

    /// <summary>Prints p50, p99 and max of an ascending sample as result lines named <paramref name="prefix"/> p50 ms etc.</summary>
    public static void ResultLatency(string prefix, IReadOnlyList<double> sorted)
    {
        Result($"{prefix}p50 ms", Percentile(sorted, 0.50));
        Result($"{prefix}p99 ms", Percentile(sorted, 0.99));
        Result($"{prefix}max ms", Percentile(sorted, 1));
    }

    /// <summary>One figure for the comparison table; the value has one decimal unless it is whole.</summary>
    public static void Result(string figure, double value) =>
        Result(figure, value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("F0", CultureInfo.InvariantCulture) : value.ToString("F1", CultureInfo.InvariantCulture));

    /// <summary>One figure for the comparison table, as text (not numeric: no ratio).</summary>
    public static void Result(string figure, string value) => Console.WriteLine($"result {figure}={value}");
}
