using System.Globalization;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using Spectre.Console;

namespace OrderFulfillment.Cli.Views;

/// <summary>
/// An order as tables: its lines, each fulfillment (both services' view, merged) and its timeline. Laid out to read at
/// 80 columns: a fulfillment is a table of its own, one field a row, and the timeline has two columns (when, and what
/// arrived and what it did), so no 36-character id has to share a row with other wide columns.
/// </summary>
public static class OrderView
{
    public static void Render(IAnsiConsole console, JsonElement order, JsonElement? fulfillments)
    {
        console.MarkupLine($"Order [bold]{Markup.Escape(order.Text("orderId") ?? "?")}[/]  status [bold]{Markup.Escape(order.Text("status") ?? "?")}[/]");
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"confirmed {Time(order.Text("confirmedAt"))}  fulfillments {order.Number("fulfillmentCount") ?? 0}"));

        var lines = new Table().Title("Lines").AddColumns("SKU", "Quantity", "Warehouse");
        foreach (var line in order.Items("lines"))
            lines.AddRow(Cell(line.Text("sku")), Cell(line.Number("quantity")?.ToString(CultureInfo.InvariantCulture)), Cell(line.Text("warehouseId") ?? "(routed)"));
        console.Write(lines);

        var tracked = order.Items("fulfillments").ToDictionary(f => f.Text("fulfillmentId") ?? "", StringComparer.OrdinalIgnoreCase);
        var known = fulfillments is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray().ToList() : [];
        foreach (var f in known)
        {
            tracked.TryGetValue(f.Text("fulfillmentId") ?? "", out var seen);
            console.Write(Fulfillment(f, Status(f), f.Items("lines").Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Text("sku")} x{l.Number("quantity")}")),
                seen.ValueKind == JsonValueKind.Object ? seen.Text("deliveredAt") : null));
        }

        // Fulfillments the order service has heard of but the fulfillment service does not list (yet).
        foreach (var (_, f) in tracked.Where(t => !known.Any(k => string.Equals(k.Text("fulfillmentId"), t.Key, StringComparison.OrdinalIgnoreCase))))
            console.Write(Fulfillment(f, (f.Text("status") ?? "?") + " (order service)", [], f.Text("deliveredAt")));

        if (known.Count == 0 && tracked.Count == 0)
            console.WriteLine("Fulfillments: none yet");

        // A timeline entry names its fulfillment by warehouse (an order has one fulfillment per warehouse); the ids are above.
        var warehouses = known.Concat(tracked.Values).Where(f => f.Text("fulfillmentId") is not null && f.Text("warehouseId") is not null)
            .GroupBy(f => f.Text("fulfillmentId")!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().Text("warehouseId")!, StringComparer.OrdinalIgnoreCase);
        console.Write(Timeline(order, warehouses));
    }

    static Table Fulfillment(JsonElement f, string status, IEnumerable<string> lines, string? deliveredAt)
    {
        var table = new Table().Title($"Fulfillment {Markup.Escape(f.Text("warehouseId") ?? "?")}").HideHeaders().AddColumns("", "");
        table.Columns[0].NoWrap();
        void Row(string label, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                table.AddRow(Cell(label), Cell(value));
        }

        Row("id", f.Text("fulfillmentId"));
        Row("status", status);
        Row("sequence", f.Number("sequence")?.ToString(CultureInfo.InvariantCulture));
        Row("lines", string.Join(", ", lines));
        Row("carrier", f.Text("carrier"));
        Row("tracking", f.Text("trackingNumber"));
        Row("delivered", Time(deliveredAt));
        return table;
    }

    static string Status(JsonElement f)
    {
        var status = f.Text("status") ?? "?";
        if (f.Text("cancellationReason") is { } reason)
            status += $" ({reason})";
        // Past its status's deadline: fulfillment.overdue was published.
        if (f.TryGetProperty("overdue", out var overdue) && overdue.ValueKind == JsonValueKind.Object)
            status += $" OVERDUE since {Time(overdue.Text("since"))}, deadline {Time(overdue.Text("deadline"))}";
        return status;
    }

    static Table Timeline(JsonElement order, Dictionary<string, string> warehouses)
    {
        var table = new Table().Title("Timeline").AddColumns("At", "Message: what it did");
        table.Columns[0].NoWrap();
        foreach (var entry in order.Items("timeline"))
        {
            var message = entry.Text("message") ?? "?";
            if (entry.Text("fulfillmentId") is { } id)
                message += " for " + warehouses.GetValueOrDefault(id, id);
            var outcome = entry.Text("outcome") ?? "?";
            if (entry.Text("status") is { } status)
                outcome += $" {entry.Text("previousStatus") ?? "-"} → {status}";
            if (entry.Text("detail") is { Length: > 0 } detail)
                outcome += ": " + detail;
            table.AddRow(Cell(Time(entry.Text("at"))), Cell(message + "\n" + outcome));
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
