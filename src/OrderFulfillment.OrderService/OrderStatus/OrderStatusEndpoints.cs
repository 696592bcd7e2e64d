using System.ComponentModel;
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

        api.MapGet("/{orderId}", async ([Description("The order's id, as order.confirmed gave it")] string orderId, OrderDbContext db, CancellationToken ct) =>
        {
            if (!OrderIds.IsValid(orderId))
                return InvalidOrderId("orderId", orderId);
            var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.OrderId == orderId, ct);
            return order is null
                ? Results.Problem(statusCode: 404, title: "Order not found", detail: $"No order '{orderId}' has been confirmed.")
                : Results.Ok(OrderView.From(order));
        })
            .WithName("GetOrder")
            .WithSummary("One order")
            .WithDescription("The order's status, lines, the fulfillments it has heard of (with delivery and overdue state) and its " +
                "timeline: every message received and what it did. 400 if the id is not an order id (" + OrderIds.Rule + "), 404 if no " +
                "order.confirmed with this id was applied.")
            .Produces<OrderView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/", async (
            [Description("Only orders in this status (confirmed, processing, partially_shipped, shipped, partially_delivered, delivered, cancelled)")] string? status,
            [Description("The next page: the page's next value")] string? after,
            [Description("Orders per page, 1 to 500 (default 50)")] int? limit,
            [Description("Only orders with no change since this time (ISO 8601)")] DateTimeOffset? updatedBefore,
            OrderDbContext db, CancellationToken ct) =>
        {
            if (status is not null && !OrderStatuses.All.Contains(status))
                return Results.Problem(statusCode: 400, title: "Invalid status",
                    detail: $"'{status}' is not an order status; one of: {string.Join(", ", OrderStatuses.All)}.");
            if (after is not null && !OrderIds.IsValid(after))
                return InvalidOrderId("after", after);
            var take = limit ?? 50;
            if (take is < 1 or > MaxLimit)
                return Results.Problem(statusCode: 400, title: "Invalid limit", detail: $"limit must be 1 to {MaxLimit}.");

            var query = db.Orders.AsNoTracking();
            if (status is not null)
            {
                var state = OrderStatusMap.Table.StateOf(status);
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
                .Select(o => new OrderSummary(o.OrderId, OrderStatusMap.Table.StatusOf(o.CurrentState), o.ConfirmedAt, o.UpdatedAt))
                .ToList();
            var next = page.Count > take ? page[take - 1].OrderId : null;
            return Results.Ok(new OrderPage([.. page.Take(take)], next));
        })
            .WithName("ListOrders")
            .WithSummary("Orders, a page at a time")
            .WithDescription("Orders by id, optionally of one status and with no change since a time; pass next as after for the " +
                "next page. 400 for an unknown status, an after that is not an order id, a limit out of range, or a parameter that is not a number or a " +
                "time; a 400 names the parameter.")
            .Produces<OrderPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }

    static IResult InvalidOrderId(string parameter, string value) =>
        Results.Problem(statusCode: 400, title: $"Invalid {parameter}", detail: $"'{value}' is not an order id ({OrderIds.Rule}).",
            extensions: new Dictionary<string, object?> { ["parameter"] = parameter });
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
