using MassTransit;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Cancels an order's fulfillments all together or not at all. It reads every fulfillment of the order and decides in
/// the one transaction of this message: if any has shipped (or holds a shipment), nothing is cancelled and the refusal
/// is published as order.cancellation_refused; otherwise it claims each one still open
/// (<see cref="FulfillmentState.OrderCancellationClaimedAt"/>) and sends it <see cref="Fulfillments.CancelledWithOrder"/>
/// through the outbox, which the fulfillment saga applies on its own queue. The claim is what makes it all or nothing: a
/// shipment racing the decision writes the same row, so one of the two fails its row-version check and is retried
/// against the other's outcome — the cancellation then sees the shipment and refuses, or the shipment sees the claim
/// and is rejected as a step after cancelled.
/// </summary>
public sealed class OrderCancellationRequestedConsumer(FulfillmentDbContext dbContext) : IConsumer<OrderCancellationRequested>
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
        var sagas = await context.GetSendEndpoint(FulfillmentServiceRegistration.FulfillmentQueueAddress);
        foreach (var fulfillment in fulfillments.Where(f => FulfillmentSteps.IsCancellable(f.Status) && f.OrderCancellationClaimedAt is null))
        {
            fulfillment.OrderCancellationClaimedAt = DateTimeOffset.UtcNow;
            await sagas.Send(new CancelledWithOrder(fulfillment.CorrelationId, reason, request.RequestedAt), context.CancellationToken);
        }

        await dbContext.SaveChangesAsync(context.CancellationToken);
    }
}
