using System.ComponentModel;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Data;
using OrderFulfillment.Messaging;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>Asks the fulfillment service to announce a fulfillment's current state again (reconciliation's repair); internal, on no exchange.</summary>
public sealed record AnnounceFulfillment
{
    public required Guid FulfillmentId { get; init; }
}

/// <summary>
/// Publishes fulfillment.status_changed for the fulfillment's current status with its last sequence, through the
/// transactional outbox. Nothing changes here: the order service applies it if that sequence is new to it and takes it
/// for a duplicate otherwise, so a repair can be repeated and never moves an order back.
/// </summary>
public sealed class AnnounceFulfillmentConsumer(FulfillmentDbContext db) : IConsumer<AnnounceFulfillment>
{
    public async Task Consume(ConsumeContext<AnnounceFulfillment> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var fulfillment = await db.Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.CorrelationId == context.Message.FulfillmentId, context.CancellationToken);
        if (fulfillment?.History is not [.., var last])
            return;
        // After the saga's own events of this fulfillment, in the outbox's order.
        context.OrderOutboxBy(fulfillment.CorrelationId);
        var carries = FulfillmentSteps.HasShipped(last.Status);
        await context.Publish(new FulfillmentStatusChanged
        {
            FulfillmentId = fulfillment.CorrelationId,
            OrderId = fulfillment.OrderId,
            WarehouseId = fulfillment.WarehouseId,
            PreviousStatus = last.PreviousStatus,
            Status = last.Status,
            ChangedAt = last.ChangedAt,
            Sequence = last.Sequence,
            Lines = fulfillment.Lines,
            Carrier = carries ? fulfillment.Carrier : null,
            TrackingNumber = carries ? fulfillment.TrackingNumber : null,
            FulfillmentCount = fulfillment.FulfillmentCount,
            Reason = last.Reason,
        });
    }
}

/// <summary>Its own queue with the contract pipeline (retry, the message's transaction, the error queue); bound to no exchange.</summary>
public sealed class AnnounceFulfillmentConsumerDefinition : ConsumerDefinition<AnnounceFulfillmentConsumer>
{
    public AnnounceFulfillmentConsumerDefinition()
    {
        EndpointName = FulfillmentAnnouncements.Queue;
        Endpoint(e => e.ConfigureConsumeTopology = false);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AnnounceFulfillmentConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.UseContractPipeline(context);
    }
}

/// <summary>The queue <c>fulfillment-announcements</c> and <c>POST /fulfillments/{fulfillmentId}/announce</c>, which sends to it.</summary>
public static class FulfillmentAnnouncements
{
    public const string Queue = "fulfillment-announcements";

    public static IBusRegistrationConfigurator AddFulfillmentAnnouncements(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddConsumer<AnnounceFulfillmentConsumer, AnnounceFulfillmentConsumerDefinition>();
        return bus;
    }

    public static void MapFulfillmentAnnouncementEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/fulfillments/{fulfillmentId}/announce", async ([Description("The fulfillment's id (a UUID)")] Guid fulfillmentId,
                FulfillmentDbContext db, ISendEndpointProvider send, CancellationToken ct) =>
            {
                var known = await db.Fulfillments.AsNoTracking().AnyAsync(f => f.CorrelationId == fulfillmentId && f.Sequence > 0, ct);
                if (!known)
                    return Results.Problem(statusCode: 404, title: "Fulfillment not found", detail: $"No announced fulfillment {fulfillmentId}.");
                var queue = await send.GetSendEndpoint(new Uri($"queue:{Queue}"));
                await queue.Send(new AnnounceFulfillment { FulfillmentId = fulfillmentId }, ct);
                return Results.Accepted();
            })
            .WithTags("Fulfillments")
            .WithName("AnnounceFulfillment")
            .WithSummary("Announce a fulfillment's current state again")
            .WithDescription("Reconciliation's repair: publishes fulfillment.status_changed with the fulfillment's current status, previous status " +
                "and last sequence (through the outbox, shortly after the 202). The order service applies it if the sequence is new to it " +
                "and ignores it otherwise. 400 if the id is not a UUID, 404 if no such fulfillment has been announced.")
            .Produces(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }
}
