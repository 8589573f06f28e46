using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Bench;

/// <summary>
/// The table bench/compare-nchan.sh prints (PushHub.Bench report): medians and ranges over runs, ratios taken
/// within each run, DESIGN.md's targets judged on them, and anything inexact called out.
/// </summary>
public sealed class ComparisonReportTests
{
    private const string Steady = "steady 500 SSE subscribers over 50 tasks, 200 events/s, 60 s";

    [Fact]
    public async Task Targets_are_judged_on_ratios_from_the_same_run_with_median_and_range()
    {
        var output = await ReportAsync(
            Rows("publish, 32 clients", "pushhub", "events/s", "6000", "9000", "7000"),
            Rows("publish, 32 clients", "bare", "events/s", "10000", "12000", "20000"),
            Rows("publish, 32 clients", "pushhub", "request p99 ms", "4.5", "6.0", "5.0"),
            Rows("publish, 32 clients", "pushhub", "delivered of expected", "3 of 3", "3 of 3", "3 of 3"));
        Assert.Contains("3 run(s) of each scenario", output, StringComparison.Ordinal);
        // 6000/10000, 9000/12000, 7000/20000: 0.60, 0.75, 0.35 — the median meets ≥ 0.6×, two of the three runs do.
        Assert.Contains("| publish, 32 clients | events/s | 7,000 (6,000–9,000) | - | 12,000 (10,000–20,000) | 0.60 (0.35–0.75)× bare Kestrel " +
            "| ≥ 0.6× bare Kestrel | met (2 of 3 runs) |", output, StringComparison.Ordinal);
        Assert.Contains("| publish, 32 clients | request p99 ms | 5.0 (4.5–6.0) | - | - |  | ≤ 5 ms | met (2 of 3 runs) |", output, StringComparison.Ordinal);
        Assert.Contains("| publish, 32 clients | delivered of expected | 3 of 3 | - | - |  |  |  |", output, StringComparison.Ordinal);
        // The targets again, on their own.
        Assert.Contains("| single-event publish, 32 publishers | publish, 32 clients | events/s | 7,000 (6,000–9,000) |", output, StringComparison.Ordinal);
        Assert.Contains("Lost, duplicated, refused, out of seq order or failed: nothing", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_steady_run_with_a_webhook_is_compared_with_nchans_plain_steady_run()
    {
        var output = await ReportAsync(
            Rows(Steady, "nchan", "p99 ms", "1.0", "1.2", "0.8"),
            Rows(Steady + ", one webhook registered", "pushhub", "p99 ms", "4.0", "4.0", "4.0"),
            Rows(Steady + ", one webhook registered", "pushhub", "max ms", "40.0", "60.0", "45.0"));
        // 4.0/1.0, 4.0/1.2, 4.0/0.8: 4.00, 3.33, 5.00, each ≤ 5×.
        Assert.Contains($"| {Steady}, one webhook registered | p99 ms | 4.0 | - | - | 4.00 (3.33–5.00)× Nchan | ≤ 5× Nchan | met (3 of 3 runs) |",
            output, StringComparison.Ordinal);
        Assert.Contains($"| {Steady}, one webhook registered | max ms | 45.0 (40.0–60.0) | - | - |  | ≤ 50 ms | met (2 of 3 runs) |",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_that_lost_events_is_named_even_when_the_median_is_zero()
    {
        var output = await ReportAsync(
            Rows("sse 5000 subscribers, 10 events/s, 15 s", "pushhub", "lost", "0", "3", "0"),
            Rows("sse 5000 subscribers, 10 events/s, 15 s", "pushhub", "exit status", "0", "1", "0"));
        Assert.Contains("| sse 5000 subscribers, 10 events/s, 15 s | lost | 0 (0–3) | - | - |  | 0 | met (2 of 3 runs) |", output, StringComparison.Ordinal);
        Assert.Contains("**Not exact:** sse 5000 subscribers, 10 events/s, 15 s, pushhub, run 2: lost 3; " +
            "sse 5000 subscribers, 10 events/s, 15 s, pushhub, run 2: exit status 1", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cluster_column_is_judged_within_twice_the_sqlite_nodes_figure_from_the_same_run()
    {
        var output = await ReportAsync(
            Rows("publish, 32 clients", "pushhub", "events/s", "8000", "10000"),
            Rows("publish, 32 clients", "cluster", "events/s", "5200", "4000"),
            Rows("publish, 32 clients", "bare", "events/s", "10000", "10000"),
            Rows("publish, 32 clients", "pushhub", "request p99 ms", "2.0", "2.0"),
            Rows("publish, 32 clients", "cluster", "request p99 ms", "5.0", "3.0"),
            Rows("publish, 32 clients", "cluster", "failures", "0", "2"),
            Rows("idle 10000 SSE subscribers", "cluster", "Redis KB per subscriber (VmRSS)", "0.5", "0.5"));
        Assert.Contains("| scenario | figure | PushHub (SQLite) | PushHub ×3 (Redis) | Nchan | bare Kestrel | ratio | target | met? | ×3 / SQLite | cluster target | met? |",
            output, StringComparison.Ordinal);
        // 5200/8000, 4000/10000: 0.65 and 0.40 of the SQLite node's rate, the median 0.53 at least half of it.
        Assert.Contains("| publish, 32 clients | events/s | 9,000 (8,000–10,000) | 4,600 (4,000–5,200) | - | 10,000 | 0.90 (0.80–1.00)× bare Kestrel " +
            "| ≥ 0.6× bare Kestrel | met (2 of 2 runs) | 0.53 (0.40–0.65)× | ≥ 0.5× SQLite | met (1 of 2 runs) |", output, StringComparison.Ordinal);
        // 5.0/2.0, 3.0/2.0: 2.50 and 1.50 of the SQLite node's p99, the median 2.00 within twice it.
        Assert.Contains("| publish, 32 clients | request p99 ms | 2.0 | 4.0 (3.0–5.0) | - | - |  | ≤ 5 ms | met (2 of 2 runs) | 2.00 (1.50–2.50)× | ≤ 2× SQLite | met (1 of 2 runs) |",
            output, StringComparison.Ordinal);
        // Nothing lost or failed, on the cluster too; Redis's own memory has no SQLite counterpart, so no target.
        Assert.Contains("| publish, 32 clients | failures | - | 1 (0–2) | - | - |  | 0 | not measured |  | 0 | **missed** (1 of 2 runs) |", output, StringComparison.Ordinal);
        Assert.Contains("| idle 10000 SSE subscribers | Redis KB per subscriber (VmRSS) | - | 0.5 | - | - |  |  |  |  |  |  |", output, StringComparison.Ordinal);
        Assert.Contains("Cluster mode (DESIGN: every figure above within 2× of the SQLite node's; nothing lost): 2 of 2 target figures within 2×",
            output, StringComparison.Ordinal);
        Assert.Contains("**Not exact:** publish, 32 clients, cluster, run 2: failures 2", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_cluster_rows_the_table_has_no_cluster_columns()
    {
        var output = await ReportAsync(Rows("publish, 32 clients", "pushhub", "events/s", "8000"));
        Assert.Contains("| scenario | figure | PushHub | Nchan | bare Kestrel | ratio | target | met? |\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("SQLite", output, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Rows(string label, string server, string figure, params string[] perRun) =>
        perRun.Select((value, run) => $"{label}\t{server}\t{run + 1}\t{figure}\t{value}");

    private static async Task<string> ReportAsync(params IEnumerable<string>[] rows)
    {
        var directory = TestPaths.NewTempDirectory();
        try
        {
            var file = Path.Combine(directory, "rows.tsv");
            await File.WriteAllLinesAsync(file, rows.SelectMany(r => r));
            var (exitCode, output) = await BenchTool.RunAsync("report", file);
            Assert.True(exitCode == 0, output);
            return output;
        }
        finally
        {
            TestPaths.TryDelete(directory);
        }
    }
}
