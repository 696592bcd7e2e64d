using System.Text.Json;
using System.Text.RegularExpressions;
using OrderFulfillment.IntegrationTests.Cli;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Monitoring;

/// <summary>
/// Grafana is not served here, so the dashboard is checked where its numbers come from: after orders are driven through
/// both services, every panel's query runs in the real Prometheus, must return series, and may name only metrics that
/// the services and the console export.
/// </summary>
[Trait("Category", "Integration")]
[Trait("Category", "Monitoring")]
public sealed partial class DashboardQueryTests(MonitoringSystem monitoring, ITestOutputHelper output) : IClassFixture<MonitoringSystem>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan",
    };

    [Fact]
    public async Task Every_dashboard_query_returns_series_of_exported_metrics()
    {
        var system = monitoring.System;
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed", "fulfillment.overdue");

        // Orders to delivered through both services.
        await new Ofctl(output, system).SucceedAsync("simulate", "--orders", "8", "--concurrency", "4", "--timeout", "120");

        // A held step: packed with no picking before it waits out the hold window, then stays in packed past its 2 s deadline.
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-DASH-HOLD", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "S", "quantity": 1, "warehouseId": "WH-EAST" } ] }""");
        var planning = await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-DASH-HOLD" && x.Text("status") == "planning"), Wait, "planning");
        var fulfillmentId = planning.First(x => x.Text("orderId") == "ORD-DASH-HOLD" && x.Text("status") == "planning").Text("fulfillmentId");
        await system.Amqp.PublishAsync("warehouse.packed", new { fulfillmentId, occurredAt = DateTimeOffset.UtcNow }, messageId: $"packed:{fulfillmentId}");
        await events.WaitForAsync(e => e.Any(x => x.Exchange == "fulfillment.overdue" && x.Text("fulfillmentId") == fulfillmentId), Wait, "overdue in packed");

        // A dead letter, for the error-queue panel.
        await system.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-DASH-BAD", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [] }""");
        await system.Amqp.WaitForQueueAsync("order-status_error", 1, Wait);

        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(PrometheusServer.MonitoringFolder, "grafana", "dashboards", "orderfulfillment.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray().Select(target => (Panel: panel.GetProperty("title").GetString()!, Expr: target.GetProperty("expr").GetString()!)))
            .ToList();
        Assert.NotEmpty(queries);

        // A counter is exported from its first increment, which may come a moment after the message it counts is where
        // the test saw it (the dead letter in its error queue): the exports are read until they name every metric the
        // dashboard reads, or for at most 30 s.
        var named = queries.SelectMany(q => MetricNames(q.Expr)).ToHashSet(StringComparer.Ordinal);
        var exported = await monitoring.ExportedMetricNamesAsync();
        for (var exportDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30); !named.IsSubsetOf(exported) && DateTime.UtcNow < exportDeadline;)
        {
            await Task.Delay(1000); // the interval of a poll of the exported metric names, not a quiet period
            exported = await monitoring.ExportedMetricNamesAsync();
        }

        var failures = new List<string>();
        foreach (var (panel, expr) in queries)
        {
            var names = MetricNames(expr).ToList();
            if (names.Count == 0)
                failures.Add($"{panel}: {expr} names no metric");
            var unknown = names.Where(name => !exported.Contains(name)).ToList();
            if (unknown.Count > 0)
                failures.Add($"{panel}: {expr} names {string.Join(", ", unknown)}, which nothing exports");

            // Grafana's variables at values that fit this short run; the console samples the broker every 5 s, so a
            // query may need a few scrapes before its first series.
            var promql = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            JsonElement result;
            while ((result = await monitoring.Prometheus.QueryAsync(promql)).GetArrayLength() == 0 && DateTime.UtcNow < deadline)
                await Task.Delay(1000); // the interval of a poll of Prometheus, which scrapes on its own clock
            output.WriteLine($"{panel}: {result.GetArrayLength()} series  {promql}");
            if (result.GetArrayLength() == 0)
                failures.Add($"{panel}: {promql} returned no series");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The metric names a PromQL expression reads: identifiers outside label matchers, groupings and ranges that are not functions or keywords.</summary>
    static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Matchers().Replace(expr, " ");
        bare = Groupings().Replace(bare, " ");
        return Identifier().Matches(bare).Select(m => m.Groups[1].Value).Where(name => !PromQlWords.Contains(name.ToLowerInvariant())).Distinct();
    }

    [GeneratedRegex(@"\{[^}]*\}|\[[^\]]*\]|""[^""]*""")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Groupings();

    [GeneratedRegex(@"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")]
    private static partial Regex Identifier();
}
