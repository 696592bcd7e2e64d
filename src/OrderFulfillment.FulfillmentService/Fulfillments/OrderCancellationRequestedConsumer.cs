using MassTransit;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Cancels an order's fulfillments all together or not at all. It reads every fulfillment of the order and decides in
/// the one transaction of this message: if any has shipped, nothing is cancelled and the refusal is published as
/// order.cancellation_refused; otherwise the state machine cancels each one still open. A shipment racing the
/// cancellation changes the same rows, so one of the two fails its row-version check and is retried against the other's outcome.
/// </summary>
public sealed class OrderCancellationRequestedConsumer(FulfillmentDbContext dbContext, FulfillmentStateMachine machine)
    : IConsumer<OrderCancellationRequested>
{
    public async Task Consume(ConsumeContext<OrderCancellationRequested> context)
    {
        var request = context.Message;
        var fulfillments = await dbContext.Fulfillments
            .Where(f => f.OrderId == request.OrderId)
            .OrderBy(f => f.WarehouseId)
            .ToListAsync(context.CancellationToken);

        // An order's fulfillments are created together when its confirmation is planned; until then, wait (retried).
        if (fulfillments.Count == 0)
            throw new UnknownOrderException(request.OrderId, "no fulfillment of this order exists");

        // A shipment held for the steps before it has shipped too: the machine would apply it before the cancellation.
        var shipped = fulfillments.Where(f => FulfillmentSteps.HasShipped(f.Status) || f.HeldSteps.Exists(h => FulfillmentSteps.HasShipped(h.Status)))
            .ToList();
        if (shipped.Count > 0)
        {
            await context.Publish(new OrderCancellationRefused
            {
                OrderId = request.OrderId,
                Reason = $"{shipped.Count} of the order's {fulfillments.Count} fulfillments have shipped",
                RequestedAt = request.RequestedAt,
                RefusedAt = DateTimeOffset.UtcNow,
                ShippedFulfillmentIds = [.. shipped.Select(f => f.CorrelationId)],
            });
            return;
        }

        var reason = request.Reason ?? "order cancellation requested";
        foreach (var fulfillment in fulfillments.Where(f => FulfillmentSteps.IsCancellable(f.Status)))
            await machine.RaiseAsync(context, fulfillment, machine.CancelledWithOrder, new CancelledWithOrder(fulfillment.CorrelationId, reason, request.RequestedAt));

        await dbContext.SaveChangesAsync(context.CancellationToken);
    }
}
