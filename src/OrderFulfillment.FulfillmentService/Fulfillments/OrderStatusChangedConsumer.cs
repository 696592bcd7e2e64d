using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Plans a confirmed order: its lines are grouped by warehouse (a line without one is routed by the rules), and one
/// fulfillment is created per warehouse, all in the transaction of this message, each announcing pending and planning.
/// A fulfillment's id is stable for the order and warehouse, so a repeated confirmation creates nothing twice.
/// </summary>
public sealed class OrderStatusChangedConsumer(FulfillmentDbContext dbContext, FulfillmentStateMachine machine, IOptions<WarehouseRoutingOptions> routing)
    : IConsumer<OrderStatusChanged>
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

        var ids = plans.Select(plan => plan.FulfillmentId).ToList();
        var existing = await dbContext.Fulfillments.Where(f => ids.Contains(f.CorrelationId)).Select(f => f.CorrelationId)
            .ToListAsync(context.CancellationToken);
        foreach (var plan in plans.Where(plan => !existing.Contains(plan.FulfillmentId)))
        {
            var fulfillment = new FulfillmentState { CorrelationId = plan.FulfillmentId };
            await machine.RaiseAsync(context, fulfillment, machine.Planned, plan);
            dbContext.Fulfillments.Add(fulfillment);
        }

        await dbContext.SaveChangesAsync(context.CancellationToken);
    }
}
