using System.Globalization;
using System.Text;

namespace PushHub.Bench;

/// <summary>One figure of one run of one scenario against one server, as <c>bench/compare-nchan.sh</c> collects them.</summary>
internal sealed record ResultRow(string Label, string Server, int Run, string Figure, string Value);

// The comparison table: PushHub.Bench report <rows.tsv>, where each line is "label \t server \t run \t figure \t value"
// (server: pushhub, cluster, nchan or bare). With several runs a cell is the median and, in brackets, the range; a
// ratio is taken within each run (PushHub's figure over the other server's from the same run), then its median and
// range. When the rows hold a cluster's (three PushHub nodes on one Redis), the table gets its column and DESIGN's
// cluster target for every row: its figure within 2× of the SQLite node's (the pushhub column) from the same run,
// and nothing lost. Without cluster rows the table is as it was.
/// <summary>Turns the scenarios' result lines into the markdown tables of <c>bench/README.md</c>.</summary>
internal static class Report
{
    private static readonly (string Server, string Name)[] s_servers = [("pushhub", "PushHub"), ("nchan", "Nchan"), ("bare", "bare Kestrel")];

    /// <summary>DESIGN.md: "cluster mode, 3 nodes on one Redis — every figure above within 2× of the SQLite node's".</summary>
    private const double ClusterFactor = 2;

    public static int Run(string[] args)
    {
        if (args.Length != 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: PushHub.Bench report <rows.tsv>   (label, server, run, figure, value; tab-separated)");
            return 2;
        }
        Console.Write(Render(Parse(File.ReadLines(args[0]))));
        return 0;
    }

    /// <summary>The rows of a tab-separated file; lines that do not have five fields are skipped.</summary>
    public static List<ResultRow> Parse(IEnumerable<string> lines) =>
        lines.Select(line => line.Split('\t'))
            .Where(f => f.Length == 5 && int.TryParse(f[2], CultureInfo.InvariantCulture, out _))
            .Select(f => new ResultRow(f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), f[3], f[4]))
            .ToList();

    /// <summary>Every figure (in the order first seen), then DESIGN's targets alone, then what was not exact.</summary>
    public static string Render(IReadOnlyList<ResultRow> rows)
    {
        var values = rows.GroupBy(r => (r.Label, r.Server, r.Figure))
            .ToDictionary(g => g.Key, g => g.GroupBy(r => r.Run).ToDictionary(r => r.Key, r => r.Last().Value));
        var keys = rows.Select(r => (r.Label, r.Figure)).Distinct().ToList();
        var runs = rows.Count == 0 ? 0 : rows.Max(r => r.Run);
        var cluster = rows.Any(r => r.Server == "cluster");
        var text = new StringBuilder();
        var header = cluster
            ? "| PushHub (SQLite) | PushHub ×3 (Redis) | Nchan | bare Kestrel | ratio | target | met? | ×3 / SQLite | cluster target | met? |\n"
            : "| PushHub | Nchan | bare Kestrel | ratio | target | met? |\n";
        var rule = cluster ? "|---|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|";

        text.Append(CultureInfo.InvariantCulture, $"{runs} run(s) of each scenario; a cell with several runs is their median (min–max).\n");
        if (cluster)
        {
            text.Append("PushHub ×3 (Redis): three Redis-mode nodes on one redis-server, the load spread over them; its target is DESIGN's " +
                "cluster row (each figure within 2× of the SQLite node's from the same run, and nothing lost).\n");
        }
        text.Append("\n| scenario | figure ").Append(header).Append("|---|---").Append(rule).Append('\n');
        foreach (var (label, figure) in keys)
        {
            text.Append("| ").Append(label).Append(" | ").Append(figure).Append(' ').Append(Cells(values, label, figure, cluster)).Append('\n');
        }

        text.Append("\nDESIGN.md's performance targets, from the same runs:\n\n");
        text.Append("| target | scenario | figure ").Append(header).Append("|---|---|---").Append(rule).Append('\n');
        var clusterJudged = new List<bool>();
        foreach (var target in Target.Design)
        {
            foreach (var (label, figure) in keys.Where(k => k.Figure == target.Figure && target.Label.IsMatch(k.Label)))
            {
                text.Append("| ").Append(target.Scenario).Append(" | ").Append(label).Append(" | ").Append(figure).Append(' ')
                    .Append(Cells(values, label, figure, cluster)).Append('\n');
                if (cluster && ClusterJudgement(values, label, figure) is { Judged.Count: > 0 } judgement)
                {
                    clusterJudged.Add(judgement.Met(Median(judgement.Judged)));
                }
            }
        }
        if (cluster)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nCluster mode (DESIGN: every figure above within 2× of the SQLite node's; nothing lost): " +
                $"{clusterJudged.Count(met => met)} of {clusterJudged.Count} target figures within 2× (median of the runs).\n");
        }

        var inexact = rows.Where(r => Target.MustBeZero.Contains(r.Figure) && Number(r.Value) is { } v && v != 0)
            .Select(r => $"{r.Label}, {r.Server}, run {r.Run}: {r.Figure} {r.Value}").ToList();
        text.Append('\n').Append(inexact.Count == 0
            ? "Lost, duplicated, refused, out of seq order or failed: nothing, in every scenario and run.\n"
            : "**Not exact:** " + string.Join("; ", inexact) + "\n");
        return text.ToString();
    }

    private static string Cells(Dictionary<(string, string, string), Dictionary<int, string>> values, string label, string figure, bool cluster)
    {
        Dictionary<int, string> Of(string server, string rowLabel) =>
            values.GetValueOrDefault((rowLabel, server, figure)) ?? [];

        var cells = new StringBuilder();
        foreach (var (server, _) in s_servers)
        {
            cells.Append("| ").Append(Cell(Of(server, label).Values.ToList())).Append(' ');
            if (server == "pushhub" && cluster)
            {
                cells.Append("| ").Append(Cell(Of("cluster", label).Values.ToList())).Append(' ');
            }
        }
        var target = Target.Design.FirstOrDefault(t => t.Figure == figure && t.Label.IsMatch(label));
        var zero = target is null && Target.MustBeZero.Contains(figure);
        var pushhub = Of("pushhub", label);

        // The ratio the target names, or else PushHub over Nchan for a speed, latency or memory figure.
        var reference = target?.Reference ?? (Comparable(figure) ? "nchan" : null);
        var ratios = new List<double>();
        if (reference is not null)
        {
            var other = Of(reference, label);
            if (other.Count == 0 && target?.ReferenceLabel is { } referenceLabel)
            {
                other = Of(reference, referenceLabel(label));
            }
            ratios = RatiosByRun(pushhub, other);
        }
        var referenceName = s_servers.FirstOrDefault(s => s.Server == reference).Name;
        cells.Append("| ").Append(ratios.Count == 0 ? ""
            : Summary(ratios, Ratio) + "× " + referenceName + (ratios.Count < pushhub.Count ? $" ({ratios.Count} of {pushhub.Count} runs)" : "")).Append(' ');

        // Met or missed, on the median; with several runs, in how many of them.
        var judged = target?.Reference is not null ? ratios
            : pushhub.Values.Select(Number).OfType<double>().ToList();
        cells.Append("| ").Append(target?.Text ?? (zero ? "0" : "")).Append(" | ");
        if (target is not null || zero)
        {
            Func<double, bool> met = target is null ? v => v == 0 : target.Met;
            cells.Append(Verdict(judged, met));
        }
        cells.Append(" |");

        if (cluster)
        {
            var judgement = ClusterJudgement(values, label, figure);
            var clusterRuns = Of("cluster", label).Count;
            cells.Append(' ').Append(judgement is { Ratios.Count: > 0 }
                ? Summary(judgement.Ratios, Ratio) + "×" + (judgement.Ratios.Count < clusterRuns ? $" ({judgement.Ratios.Count} of {clusterRuns} runs)" : "")
                : "").Append(' ');
            cells.Append("| ").Append(judgement?.Text ?? "").Append(" | ");
            if (judgement is not null)
            {
                cells.Append(Verdict(judgement.Judged, judgement.Met));
            }
            cells.Append(" |");
        }
        return cells.ToString();
    }

    /// <summary>
    /// DESIGN's cluster target for one row: a speed at least half the SQLite node's, a latency or memory figure at
    /// most twice it (the ratio cluster / SQLite within each run), and whatever must be zero zero. Null for a row
    /// it does not apply to (a count, a text, or a figure the SQLite node has no counterpart of).
    /// </summary>
    private static ClusterTarget? ClusterJudgement(Dictionary<(string, string, string), Dictionary<int, string>> values, string label, string figure)
    {
        var clusterRuns = values.GetValueOrDefault((label, "cluster", figure));
        if (clusterRuns is null)
        {
            return null;
        }
        if (Target.MustBeZero.Contains(figure))
        {
            return new ClusterTarget([], clusterRuns.Values.Select(Number).OfType<double>().ToList(), "0", v => v == 0);
        }
        var sqlite = values.GetValueOrDefault((label, "pushhub", figure));
        if (!Comparable(figure) || sqlite is null)
        {
            return null;
        }
        var ratios = RatiosByRun(clusterRuns, sqlite);
        return HigherIsBetter(figure)
            ? new ClusterTarget(ratios, ratios, $"≥ {1 / ClusterFactor:0.0}× SQLite", r => r >= 1 / ClusterFactor)
            : new ClusterTarget(ratios, ratios, $"≤ {ClusterFactor:0}× SQLite", r => r <= ClusterFactor);
    }

    /// <summary>The cluster column's ratios to the SQLite node (by run), what is judged, the target's text and its test.</summary>
    private sealed record ClusterTarget(List<double> Ratios, List<double> Judged, string Text, Func<double, bool> Met);

    /// <summary>For each run both have, <paramref name="of"/>'s figure over <paramref name="over"/>'s (when that is above zero).</summary>
    private static List<double> RatiosByRun(Dictionary<int, string> of, Dictionary<int, string> over) =>
        of.Where(run => Number(run.Value) is not null && over.TryGetValue(run.Key, out var o) && Number(o) is > 0)
            .Select(run => Number(run.Value)!.Value / Number(over[run.Key])!.Value)
            .ToList();

    private static string Verdict(List<double> judged, Func<double, bool> met) =>
        judged.Count == 0 ? "not measured"
            : (met(Median(judged)) ? "met" : "**missed**") + (judged.Count > 1 ? $" ({judged.Count(met)} of {judged.Count} runs)" : "");

    private static bool HigherIsBetter(string figure) => figure is "events/s" or "deliveries/s";

    private static string Cell(List<string> runs)
    {
        if (runs.Count == 0)
        {
            return "-";
        }
        var numbers = runs.Select(Number).ToList();
        if (numbers.Any(n => n is null))
        {
            return string.Join(" / ", runs.Distinct());
        }
        // As many decimals as the figures were given with, for the median and the range alike.
        var decimals = runs.Max(r => r.Contains('.', StringComparison.Ordinal) ? Math.Min(2, r.Length - r.IndexOf('.', StringComparison.Ordinal) - 1) : 0);
        return Summary(numbers.Select(n => n!.Value).ToList(), v => Format(v, decimals));
    }

    private static string Summary(List<double> values, Func<double, string> format) =>
        values.Min() == values.Max() ? format(values[0]) : $"{format(Median(values))} ({format(values.Min())}–{format(values.Max())})";

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static bool Comparable(string figure) =>
        figure is "events/s" or "deliveries/s" || figure.EndsWith("p50 ms", StringComparison.Ordinal) || figure.EndsWith("p99 ms", StringComparison.Ordinal)
        || figure.EndsWith("max ms", StringComparison.Ordinal) || figure.StartsWith("KB per", StringComparison.Ordinal);

    private static double? Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string Format(double value, int decimals)
    {
        var rounded = Math.Round(value, decimals);
        return (rounded == 0 ? 0 : rounded).ToString((Math.Abs(rounded) >= 1_000 ? "N" : "F") + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static string Ratio(double value) => value.ToString("F2", CultureInfo.InvariantCulture);
}
