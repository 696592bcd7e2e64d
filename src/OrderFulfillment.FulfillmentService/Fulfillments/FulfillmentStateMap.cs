using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

public sealed class FulfillmentStateMap : SagaMap<FulfillmentState>
{
    protected override string TableName => "fulfillment";

    protected override void ConfigureState(EntityTypeBuilder<FulfillmentState> entity)
    {
        entity.Property(x => x.CorrelationId).HasColumnName("fulfillment_id");
        entity.Property(x => x.CurrentState).HasColumnName("current_state").HasMaxLength(32);
        entity.Property(x => x.OrderId).HasColumnName("order_id").HasMaxLength(64);
        entity.Property(x => x.WarehouseId).HasColumnName("warehouse_id").HasMaxLength(128);
        entity.Property(x => x.Lines).HasJsonColumn("lines");
        entity.Property(x => x.FulfillmentCount).HasColumnName("fulfillment_count");
        entity.Property(x => x.Sequence).HasColumnName("sequence");
        entity.Property(x => x.CancelledFrom).HasColumnName("cancelled_from").HasMaxLength(32);
        entity.Property(x => x.CancellationReason).HasColumnName("cancellation_reason");
        entity.Property(x => x.Carrier).HasColumnName("carrier");
        entity.Property(x => x.TrackingNumber).HasColumnName("tracking_number");
        entity.Property(x => x.History).HasJsonColumn("history");
        entity.Property(x => x.CreatedAt).HasColumnName("created_at");
        entity.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        entity.Property(x => x.StatusSince).HasColumnName("status_since");
        entity.Property(x => x.DeadlineAt).HasColumnName("deadline_at");
        entity.Property(x => x.DeadlineTokenId).HasColumnName("deadline_token_id");
        entity.Property(x => x.OverdueAt).HasColumnName("overdue_at");
        entity.Property(x => x.HeldSteps).HasJsonColumn("held_steps");
        entity.Property(x => x.HoldTokenId).HasColumnName("hold_token_id");
        entity.Property(x => x.OrderCancellationClaimedAt).HasColumnName("order_cancellation_claimed_at");
        entity.Ignore(x => x.Status);
        entity.HasIndex(x => x.OrderId);
        entity.HasIndex(x => x.OverdueAt).HasFilter("overdue_at IS NOT NULL");
    }
}
