using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.Data;

namespace OrderFulfillment.OrderService.OrderStatus;

/// <summary>Read-only status API: one order with its fulfillments and timeline, and a paged list by status.</summary>
public static class OrderStatusEndpoints
{
    const int MaxLimit = 500;

    public static void MapOrderStatusEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/orders").WithTags("Orders");

        api.MapGet("/{orderId}", async (string orderId, OrderDbContext db, CancellationToken ct) =>
        {
            var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.OrderId == orderId, ct);
            return order is null
                ? Results.Problem(statusCode: 404, title: "Order not found", detail: $"No order '{orderId}' has been confirmed.")
                : Results.Ok(OrderView.From(order));
        }).WithName("GetOrder");

        api.MapGet("/", async (string? status, string? after, int? limit, DateTimeOffset? updatedBefore, OrderDbContext db, CancellationToken ct) =>
        {
            if (status is not null && !OrderStatuses.All.Contains(status))
                return Results.Problem(statusCode: 400, title: "Invalid status",
                    detail: $"'{status}' is not an order status; one of: {string.Join(", ", OrderStatuses.All)}.");
            var take = limit ?? 50;
            if (take is < 1 or > MaxLimit)
                return Results.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be 1 to {MaxLimit}.");

            var query = db.Orders.AsNoTracking();
            if (status is not null)
            {
                var state = SagaStates.StateNameOf(status);
                query = query.Where(o => o.CurrentState == state);
            }
            if (after is not null)
                query = query.Where(o => o.OrderId.CompareTo(after) > 0);
            // "No change since": the operator console's stuck orders.
            if (updatedBefore is { } before)
                query = query.Where(o => o.UpdatedAt < before.ToUniversalTime());
            var page = (await query.OrderBy(o => o.OrderId).Take(take + 1)
                    .Select(o => new { o.OrderId, o.CurrentState, o.ConfirmedAt, o.UpdatedAt })
                    .ToListAsync(ct))
                .Select(o => new OrderSummary(o.OrderId, SagaStates.StatusOf(o.CurrentState), o.ConfirmedAt, o.UpdatedAt))
                .ToList();
            var next = page.Count > take ? page[take - 1].OrderId : null;
            return Results.Ok(new OrderPage([.. page.Take(take)], next));
        }).WithName("ListOrders");
    }
}

public sealed record OrderSummary(string OrderId, string Status, DateTimeOffset ConfirmedAt, DateTimeOffset UpdatedAt);

/// <summary>A page of orders; pass <c>Next</c> as <c>after</c> for the next page (null on the last).</summary>
public sealed record OrderPage(IReadOnlyList<OrderSummary> Orders, string? Next);

public sealed record OrderView(
    string OrderId,
    string Status,
    DateTimeOffset ConfirmedAt,
    IReadOnlyList<OrderLine> Lines,
    int FulfillmentCount,
    IReadOnlyList<TrackedFulfillment> Fulfillments,
    IReadOnlyList<TimelineEntry> Timeline)
{
    public static OrderView From(OrderState o) =>
        new(o.OrderId, o.Status, o.ConfirmedAt, o.Lines, o.FulfillmentCount, o.Fulfillments, o.Timeline);
}
