using MassTransit;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.Persistence;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Cancels an order's fulfillments all together or not at all. It reads every fulfillment of the order and changes
/// them in the one transaction of this message: if any has shipped, nothing is cancelled and the refusal is published
/// as order.cancellation_refused; otherwise each one still open becomes cancelled. A shipment racing the cancellation
/// changes the same rows, so one of the two fails its row-version check and is retried against the other's outcome.
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

        // The order's fulfillments are created just after its confirmation; until all exist, wait (retried).
        if (fulfillments.Count == 0)
            throw new UnknownOrderException(request.OrderId, "no fulfillment of this order exists");
        var expected = fulfillments.Max(f => f.FulfillmentCount);
        if (fulfillments.Count < expected)
            throw new UnknownOrderException(request.OrderId, $"only {fulfillments.Count} of its {expected} fulfillments exist yet");

        var shipped = fulfillments.Where(f => FulfillmentStatuses.Rank(f.Status) >= FulfillmentStatuses.Rank(FulfillmentStatuses.Shipped)).ToList();
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

        foreach (var fulfillment in fulfillments.Where(f => FulfillmentLifecycle.IsCancellable(f.Status)))
        {
            // Delivered after this fulfillment's earlier events, as if its own saga had published it.
            context.OrderOutboxBy(fulfillment.CorrelationId);
            await context.Publish(FulfillmentLifecycle.Cancel(fulfillment, request.Reason ?? "order cancellation requested", request.RequestedAt,
                out var deadlineTokenId));
            // In this transaction, through the outbox's scheduler (the harness has none here: its late timeout is ignored).
            if (deadlineTokenId is { } tokenId && context.TryGetPayload(out MessageSchedulerContext? scheduler))
                await scheduler.CancelScheduledSend(context.ReceiveContext.InputAddress, tokenId, context.CancellationToken);
        }

        await dbContext.SaveChangesAsync(context.CancellationToken);
    }
}
