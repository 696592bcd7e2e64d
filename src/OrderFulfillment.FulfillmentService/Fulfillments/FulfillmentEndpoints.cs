using System.ComponentModel;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>Read-only status API: one fulfillment with its history, an order's fulfillments, and the overdue ones.</summary>
public static class FulfillmentEndpoints
{
    public static void MapFulfillmentEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Fulfillments");

        api.MapGet("/fulfillments/{fulfillmentId}", async ([Description("The fulfillment's id (a UUID)")] string fulfillmentId, FulfillmentDbContext db,
            CancellationToken ct) =>
        {
            if (!Guid.TryParse(fulfillmentId, out var id))
                return Results.Problem(statusCode: 400, title: "Invalid fulfillmentId", detail: $"'{fulfillmentId}' is not a fulfillment id (a UUID).");
            var fulfillment = await db.Fulfillments.AsNoTracking().SingleOrDefaultAsync(f => f.CorrelationId == id, ct);
            return fulfillment is null
                ? Results.Problem(statusCode: 404, title: "Fulfillment not found", detail: $"No fulfillment {id}.")
                : Results.Ok(FulfillmentView.From(fulfillment));
        })
            .WithName("GetFulfillment")
            .WithSummary("One fulfillment")
            .WithDescription("The fulfillment's status, lines, carrier and tracking, its history, and its deadline (overdue when past it). " +
                "400 if the id is not a UUID, 404 if no such fulfillment exists.")
            .Produces<FulfillmentView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/orders/{orderId}/fulfillments", async ([Description("The order's id")] string orderId, FulfillmentDbContext db, CancellationToken ct) =>
        {
            if (!OrderIds.IsValid(orderId))
                return Results.Problem(statusCode: 400, title: "Invalid orderId", detail: $"'{orderId}' is not an order id ({OrderIds.Rule}).",
                    extensions: new Dictionary<string, object?> { ["parameter"] = "orderId" });
            var fulfillments = await db.Fulfillments.AsNoTracking().Where(f => f.OrderId == orderId).OrderBy(f => f.WarehouseId).ToListAsync(ct);
            return fulfillments.Count == 0
                ? Results.Problem(statusCode: 404, title: "Order not found", detail: $"No fulfillment of order '{orderId}'.")
                : Results.Ok(fulfillments.Select(FulfillmentView.From));
        })
            .WithName("GetOrderFulfillments")
            .WithSummary("An order's fulfillments")
            .WithDescription("Every fulfillment the order was split into, by warehouse. 400 if the id is not an order id (" + OrderIds.Rule +
                "), 404 if the order has none (yet).")
            .Produces<IReadOnlyList<FulfillmentView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        // For operators (and the console): fulfillments whose current status is past its deadline, oldest first.
        api.MapGet("/fulfillments/overdue", async (FulfillmentDbContext db, [Description("At most this many, 1 to 500 (default 100)")] int? limit,
            CancellationToken ct) =>
        {
            var take = Math.Clamp(limit ?? 100, 1, 500);
            var overdue = await db.Fulfillments.AsNoTracking().Where(f => f.OverdueAt != null)
                .OrderBy(f => f.DeadlineAt).Take(take).ToListAsync(ct);
            return Results.Ok(overdue.Select(FulfillmentView.From));
        })
            .WithName("GetOverdueFulfillments")
            .WithSummary("Fulfillments overdue now")
            .WithDescription("Fulfillments whose current status is past its deadline (fulfillment.overdue was published), oldest " +
                "deadline first. A limit out of range is brought into 1 to 500; 400 if it is not a number (a 32-bit integer).")
            .Produces<IReadOnlyList<FulfillmentView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest);
    }
}

public sealed record FulfillmentView(
    Guid FulfillmentId,
    string OrderId,
    string WarehouseId,
    string Status,
    int Sequence,
    IReadOnlyList<Contracts.FulfillmentLine> Lines,
    string? Carrier,
    string? TrackingNumber,
    string? CancellationReason,
    IReadOnlyList<FulfillmentHistoryEntry> History,
    DateTimeOffset? StatusSince,
    DateTimeOffset? Deadline,
    FulfillmentOverdueView? Overdue,
    IReadOnlyList<HeldStepView> HeldSteps)
{
    public static FulfillmentView From(FulfillmentState f) =>
        new(f.CorrelationId, f.OrderId, f.WarehouseId, f.Status, f.Sequence, f.Lines, f.Carrier, f.TrackingNumber, f.CancellationReason, f.History,
            f.StatusSince, f.DeadlineAt, FulfillmentOverdueView.From(f), [.. f.HeldSteps.Select(h => new HeldStepView(h.Status, h.OccurredAt, h.HeldAt))]);
}

/// <summary>A warehouse step that arrived ahead of its turn, held until the steps before it arrive or the hold window ends.</summary>
public sealed record HeldStepView(string Status, DateTimeOffset OccurredAt, DateTimeOffset HeldSince);

/// <summary>The current status is past its deadline: fulfillment.overdue was published at <see cref="AnnouncedAt"/>.</summary>
public sealed record FulfillmentOverdueView(string Status, DateTimeOffset Since, DateTimeOffset Deadline, DateTimeOffset AnnouncedAt)
{
    public static FulfillmentOverdueView? From(FulfillmentState f) =>
        f is { OverdueAt: { } announcedAt, StatusSince: { } since, DeadlineAt: { } deadline } ? new(f.Status, since, deadline, announcedAt) : null;
}
