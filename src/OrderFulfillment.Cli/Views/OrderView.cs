using System.Globalization;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using Spectre.Console;

namespace OrderFulfillment.Cli.Views;

/// <summary>An order as tables: its lines, its fulfillments (both services' view, merged) and its timeline.</summary>
public static class OrderView
{
    public static void Render(IAnsiConsole console, JsonElement order, JsonElement? fulfillments)
    {
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Order [bold]{Markup.Escape(order.Text("orderId") ?? "?")}[/]  status [bold]{Markup.Escape(order.Text("status") ?? "?")}[/]  " +
            $"confirmed {Time(order.Text("confirmedAt"))}  fulfillments {order.Number("fulfillmentCount") ?? 0}"));

        var lines = new Table().Title("Lines").AddColumns("SKU", "Quantity", "Warehouse");
        foreach (var line in order.Items("lines"))
            lines.AddRow(Cell(line.Text("sku")), Cell(line.Number("quantity")?.ToString(CultureInfo.InvariantCulture)), Cell(line.Text("warehouseId") ?? "(routed)"));
        console.Write(lines);

        console.Write(Fulfillments(order, fulfillments));
        console.Write(Timeline(order));
    }

    static Table Fulfillments(JsonElement order, JsonElement? fulfillments)
    {
        var table = new Table().Title("Fulfillments")
            .AddColumns("Fulfillment", "Warehouse", "Status", "Seq", "Lines", "Carrier", "Tracking", "Delivered");
        var tracked = order.Items("fulfillments").ToDictionary(f => f.Text("fulfillmentId") ?? "", StringComparer.OrdinalIgnoreCase);
        var shown = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var known = fulfillments is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray() : default;
        foreach (var f in known)
        {
            var id = f.Text("fulfillmentId") ?? "";
            shown.Add(id);
            tracked.TryGetValue(id, out var seen);
            var lineText = string.Join(", ", f.Items("lines").Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Text("sku")} x{l.Number("quantity")}")));
            var status = f.Text("status") ?? "?";
            if (f.Text("cancellationReason") is { } reason)
                status += $" ({reason})";
            // Past its status's deadline: fulfillment.overdue was published.
            if (f.TryGetProperty("overdue", out var overdue) && overdue.ValueKind == JsonValueKind.Object)
                status += $" OVERDUE since {Time(overdue.Text("since"))}, deadline {Time(overdue.Text("deadline"))}";
            table.AddRow(Cell(id), Cell(f.Text("warehouseId")), Cell(status), Cell(f.Number("sequence")?.ToString(CultureInfo.InvariantCulture)), Cell(lineText),
                Cell(f.Text("carrier")), Cell(f.Text("trackingNumber")), Cell(Time(seen.ValueKind == JsonValueKind.Object ? seen.Text("deliveredAt") : null)));
        }

        // Fulfillments the order service has heard of but the fulfillment service does not list (yet).
        foreach (var (id, f) in tracked.Where(t => !shown.Contains(t.Key)))
        {
            table.AddRow(Cell(id), Cell(f.Text("warehouseId")), Cell((f.Text("status") ?? "?") + " (order service)"),
                Cell(f.Number("sequence")?.ToString(CultureInfo.InvariantCulture)), Cell(""), Cell(f.Text("carrier")), Cell(f.Text("trackingNumber")),
                Cell(Time(f.Text("deliveredAt"))));
        }

        if (table.Rows.Count == 0)
            table.AddRow(Cell("(none yet)"), Cell(""), Cell(""), Cell(""), Cell(""), Cell(""), Cell(""), Cell(""));
        return table;
    }

    static Table Timeline(JsonElement order)
    {
        var table = new Table().Title("Timeline").AddColumns("At", "Message", "Outcome", "Change", "Fulfillment", "Detail");
        foreach (var entry in order.Items("timeline"))
        {
            var status = entry.Text("status");
            var change = status is null ? "" : $"{entry.Text("previousStatus") ?? "-"} → {status}";
            table.AddRow(Cell(Time(entry.Text("at"))), Cell(entry.Text("message")), Cell(entry.Text("outcome")), Cell(change),
                Cell(entry.Text("fulfillmentId")), Cell(entry.Text("detail")));
        }

        return table;
    }

    static Markup Cell(string? text) => new(Markup.Escape(text ?? ""));

    /// <summary>UTC, to the millisecond: 2026-11-24 10:00:00.000Z.</summary>
    public static string Time(string? iso) =>
        iso is not null && DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
            : iso ?? "";
}
