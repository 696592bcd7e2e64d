using System.Text.Json;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Monitoring;

/// <summary>monitoring/alerts.yml in a real Prometheus against the running services: a dead letter fires its alert.</summary>
[Trait("Category", "Integration")]
[Trait("Category", "Monitoring")]
public sealed class AlertRuleTests(MonitoringSystem monitoring, ITestOutputHelper output) : IClassFixture<MonitoringSystem>
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_dead_lettered_message_fires_MessageDeadLettered_in_Prometheus()
    {
        await monitoring.System.Amqp.PublishAsync("order.confirmed", """{ "orderId": "ORD-ALERT-1", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [] }""",
            messageId: "alert-invalid");
        await monitoring.System.Amqp.WaitForQueueAsync("order-status_error", 1, Wait);

        var alert = await monitoring.Prometheus.WaitForAlertAsync(a =>
            a.GetProperty("labels").GetProperty("alertname").GetString() == "MessageDeadLettered" &&
            a.GetProperty("state").GetString() == "firing" &&
            a.GetProperty("labels").GetProperty("queue").GetString() == "order-status" &&
            a.GetProperty("labels").GetProperty("reason").GetString() == "InvalidMessageException", Wait, "MessageDeadLettered firing for order-status");

        var targets = await monitoring.Prometheus.TargetsAsync();
        output.WriteLine("targets: " + string.Join(", ", targets.Select(t => $"{t.Job}={t.Health}")));
        Assert.Equal(["console", "fulfillment-service", "order-service"], targets.Select(t => t.Job).Order(StringComparer.Ordinal));
        Assert.All(targets, t => Assert.True(t.Health == "up", $"{t.Job}: {t.Health} {t.Error}"));
        var annotations = alert.GetProperty("annotations");
        Assert.Contains("ofctl errors list --queue order-status_error", annotations.GetProperty("runbook").GetString(), StringComparison.Ordinal);
        output.WriteLine($"firing: {alert.GetProperty("labels")} since {alert.GetProperty("activeAt")}: {annotations.GetProperty("summary")}");

        // Nothing else is wrong with this system: no other alert fires.
        var others = (await monitoring.Prometheus.AlertsAsync())
            .Where(a => a.GetProperty("state").GetString() == "firing" && a.GetProperty("labels").GetProperty("alertname").GetString() != "MessageDeadLettered")
            .Select(a => a.GetProperty("labels").ToString()).ToList();
        Assert.True(others.Count == 0, "other alerts firing: " + string.Join("; ", others));
    }
}
