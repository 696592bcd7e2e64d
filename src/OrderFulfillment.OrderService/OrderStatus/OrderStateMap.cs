using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.OrderService.OrderStatus;

public sealed class OrderStateMap : SagaMap<OrderState>
{
    protected override string TableName => "order_status";

    protected override void ConfigureState(EntityTypeBuilder<OrderState> entity)
    {
        entity.Property(x => x.CorrelationId).HasColumnName("correlation_id");
        entity.Property(x => x.CurrentState).HasColumnName("current_state").HasMaxLength(32);
        entity.Property(x => x.OrderId).HasColumnName("order_id").HasMaxLength(64);
        entity.Property(x => x.ConfirmedAt).HasColumnName("confirmed_at");
        entity.Property(x => x.Lines).HasJsonColumn("lines");
        entity.Property(x => x.FulfillmentCount).HasColumnName("fulfillment_count");
        entity.Property(x => x.Fulfillments).HasJsonColumn("fulfillments");
        entity.Property(x => x.Timeline).HasJsonColumn("timeline");
        entity.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        entity.HasIndex(x => x.OrderId).IsUnique();
        entity.HasIndex(x => new { x.CurrentState, x.OrderId });
        entity.Ignore(x => x.Status);
    }
}
