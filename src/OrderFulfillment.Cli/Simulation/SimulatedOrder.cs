using System.Globalization;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Cli.Simulation;

public sealed record SimulationOptions(int Orders, int Warehouses, int Concurrency, TimeSpan Timeout);

public sealed record SimulationSummary(
    string Run, int Orders, int Delivered, long Published, long EventsReceived, TimeSpan Elapsed, int Failures, int TimedOut, IReadOnlyList<string> Notes);

/// <summary>A message the simulation publishes: message ids are derived from what they report, so a repeat is a duplicate.</summary>
public sealed record SimulatedMessage(string Exchange, object Body, string MessageId);

/// <summary>
/// One simulated order: its confirmation (two lines with a warehouse, one for routing to place), and what a WMS and a
/// carrier answer to each status of its fulfillments.
/// </summary>
public sealed class SimulatedOrder(string run, int index, int warehouses)
{
    const string Carrier = "SIM-CARRIER";

    readonly HashSet<(Guid, string)> _seen = [];

    public string OrderId { get; } = string.Create(CultureInfo.InvariantCulture, $"SIM-{run}-{index}");

    /// <summary>Delivered, cancelled or given up: later events of the order are ignored.</summary>
    public bool Done { get; set; }

    public SimulatedMessage Confirmation() => new(OrderConfirmed.Exchange, new
    {
        orderId = OrderId,
        confirmedAt = ContractTimestamps.Write(DateTimeOffset.UtcNow),
        lines = new object[]
        {
            new { sku = "SKU-SIM-A", quantity = 1 + (index % 3), warehouseId = Warehouse(index) },
            new { sku = "SKU-SIM-B", quantity = 1 + (index % 5), warehouseId = Warehouse(index + 1) },
            new { sku = "SKU-SIM-C", quantity = 1 },
        },
    }, $"sim-{OrderId}-confirmed");

    /// <summary>
    /// What to publish now that a fulfillment has reached <paramref name="status"/>: the next warehouse step, and once
    /// shipped also the delivery. Nothing for a status seen before (events arrive at least once).
    /// </summary>
    public IReadOnlyList<SimulatedMessage> ReactTo(Guid fulfillmentId, string status)
    {
        if (!_seen.Add((fulfillmentId, status)))
            return [];
        var id = fulfillmentId.ToString();
        var tracking = $"SIM{id[..8].ToUpperInvariant()}";
        var at = ContractTimestamps.Write(DateTimeOffset.UtcNow);
        var messages = new List<SimulatedMessage>();
        if (WarehouseSteps.After(status) is { } step)
        {
            object body = step == WarehouseSteps.Shipped
                ? new { fulfillmentId, occurredAt = at, carrier = Carrier, trackingNumber = tracking }
                : new { fulfillmentId, occurredAt = at };
            messages.Add(new(step.Exchange, body, $"sim-{id}-{step.Name}"));
        }

        if (status == FulfillmentStatuses.Shipped)
        {
            messages.Add(new(DeliveryConfirmed.Exchange, new { orderId = OrderId, fulfillmentId, deliveredAt = at, carrier = Carrier, trackingNumber = tracking },
                $"sim-{id}-delivered"));
        }

        return messages;
    }

    string Warehouse(int i) => string.Create(CultureInfo.InvariantCulture, $"WH-SIM-{(i % warehouses) + 1}");
}
