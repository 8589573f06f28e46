using System.Globalization;
using Spectre.Console;

namespace PushHub.Cli.Output;

/// <summary>Tables for the terminal. Cells are plain text: values from the hub are never read as markup.</summary>
public static class Tables
{
    public static void Write(IAnsiConsole console, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows, string empty)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell ?? "-")));
        }
        if (table.Rows.Count == 0)
        {
            console.WriteLine(empty);
            return;
        }
        console.Write(table);
    }

    public static string Time(DateTimeOffset? time) =>
        time?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    public static string Percent(double? percent) =>
        percent is { } value ? value.ToString("0.#", CultureInfo.InvariantCulture) + "%" : "-";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
