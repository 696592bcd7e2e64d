using MassTransit;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Plans a confirmed order: its lines are grouped by warehouse (a line without one is routed by the rules), and one
/// fulfillment is requested per warehouse, with an id that is stable for the order and warehouse, so that a
/// redelivered or repeated confirmation requests the same fulfillments again and creates nothing twice.
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

        foreach (var warehouse in byWarehouse)
        {
            await context.Publish(new FulfillmentRequested
            {
                FulfillmentId = DeterministicId.ForFulfillment(order.OrderId, warehouse.Key),
                OrderId = order.OrderId,
                WarehouseId = warehouse.Key,
                Lines = [.. warehouse.Select(line => new FulfillmentLine { Sku = line.Sku, Quantity = line.Quantity })],
                FulfillmentCount = byWarehouse.Count,
                RequestedAt = order.ChangedAt,
            });
        }
    }
}
