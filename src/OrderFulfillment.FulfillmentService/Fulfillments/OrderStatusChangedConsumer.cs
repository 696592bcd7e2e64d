using MassTransit;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Plans a confirmed order: its lines are grouped by warehouse (a line without one is routed by the rules), and one
/// <see cref="FulfillmentPlanned"/> per warehouse is sent to the fulfillment saga's queue, all through the outbox in the
/// transaction of this message; the saga creates each fulfillment and announces pending and planning. A fulfillment's
/// id is stable for the order and warehouse, so a repeated confirmation creates nothing twice.
/// </summary>
public sealed class OrderStatusChangedConsumer(IOptions<WarehouseRoutingOptions> routing) : IConsumer<OrderStatusChanged>
{
    public async Task Consume(ConsumeContext<OrderStatusChanged> context)
    {
        var order = context.Message;
        if (order.Status != OrderStatuses.Confirmed || order.PreviousStatus is not null)
            return;

        var byWarehouse = order.Lines!
            .GroupBy(line => line.WarehouseId ?? routing.Value.Assign(line.Sku), StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .ToList();
        var plans = byWarehouse.Select(warehouse => new FulfillmentPlanned(
            DeterministicId.ForFulfillment(order.OrderId, warehouse.Key),
            order.OrderId,
            warehouse.Key,
            [.. warehouse.Select(line => new FulfillmentLine { Sku = line.Sku, Quantity = line.Quantity })],
            byWarehouse.Count,
            order.ChangedAt)).ToList();

        var fulfillments = await context.GetSendEndpoint(FulfillmentServiceRegistration.FulfillmentQueueAddress);
        foreach (var plan in plans)
            await fulfillments.Send(plan, context.CancellationToken);
    }
}
