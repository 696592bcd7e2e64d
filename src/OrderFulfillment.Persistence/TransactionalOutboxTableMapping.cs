using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OrderFulfillment.Persistence.Inbox;
using OrderFulfillment.Persistence.Outbox;

namespace OrderFulfillment.Persistence;

/// <summary>The mapping of the inbox and outbox tables into a service's model.</summary>
public static class TransactionalOutboxTableMapping
{
    /// <summary>
    /// Maps the inbox and outbox tables into the service's model (call from <c>OnModelCreating</c>):
    /// <see cref="TransactionalOutboxTables.InboxMessage"/>, <see cref="TransactionalOutboxTables.OutboxMessage"/>, and <see cref="TransactionalOutboxTables.OutboxScheduledMessage"/>,
    /// where scheduled sends wait until they are due.
    /// </summary>
    public static ModelBuilder AddTransactionalOutboxTables(this ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<InboxMessage>(inbox =>
        {
            inbox.ToTable(TransactionalOutboxTables.InboxMessage);
            inbox.HasKey(x => new { x.MessageId, x.ConsumerId });
            inbox.Property(x => x.MessageId).HasColumnName("message_id").HasMaxLength(256);
            inbox.Property(x => x.ConsumerId).HasColumnName("consumer_id");
            inbox.Property(x => x.ReceivedAt).HasColumnName("received_at").HasDefaultValueSql("now()");
            inbox.HasIndex(x => x.ReceivedAt);
        });
        modelBuilder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable(TransactionalOutboxTables.OutboxMessage);
            outbox.HasKey(x => x.SequenceNumber);
            outbox.Property(x => x.SequenceNumber).HasColumnName("sequence_number").UseIdentityAlwaysColumn();
            MapStoredMessage(outbox);
            outbox.Property(x => x.DeliveredAt).HasColumnName("delivered_at");
            outbox.HasIndex(x => x.SequenceNumber).HasDatabaseName("ix_outbox_message_undelivered").HasFilter("delivered_at IS NULL");
            outbox.HasIndex(x => x.DeliveredAt);
        });
        modelBuilder.Entity<ScheduledOutboxMessage>(scheduled =>
        {
            scheduled.ToTable(TransactionalOutboxTables.OutboxScheduledMessage);
            scheduled.HasKey(x => x.TokenId);
            scheduled.Property(x => x.TokenId).HasColumnName("token_id").ValueGeneratedNever();
            scheduled.Property(x => x.DeliverAt).HasColumnName("deliver_at");
            MapStoredMessage(scheduled);
            scheduled.HasIndex(x => x.DeliverAt);
        });
        return modelBuilder;
    }

    /// <summary>The columns both outbox tables have.</summary>
    static void MapStoredMessage<T>(EntityTypeBuilder<T> message)
        where T : StoredMessage
    {
        message.Property(x => x.MessageId).HasColumnName("message_id");
        message.Property(x => x.OrderingKey).HasColumnName("ordering_key");
        message.Property(x => x.ConversationId).HasColumnName("conversation_id");
        message.Property(x => x.CorrelationId).HasColumnName("correlation_id");
        message.Property(x => x.InitiatorId).HasColumnName("initiator_id");
        message.Property(x => x.RequestId).HasColumnName("request_id");
        message.Property(x => x.SourceAddress).HasColumnName("source_address");
        message.Property(x => x.DestinationAddress).HasColumnName("destination_address");
        message.Property(x => x.ResponseAddress).HasColumnName("response_address");
        message.Property(x => x.FaultAddress).HasColumnName("fault_address");
        message.Property(x => x.SentTime).HasColumnName("sent_time");
        message.Property(x => x.ExpirationTime).HasColumnName("expiration_time");
        message.Property(x => x.ContentType).HasColumnName("content_type");
        message.Property(x => x.MessageType).HasColumnName("message_type");
        message.Property(x => x.Body).HasColumnName("body");
        message.Property(x => x.Headers).HasColumnName("headers");
        message.Property(x => x.Properties).HasColumnName("properties");
        message.Property(x => x.TraceParent).HasColumnName("trace_parent");
        message.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
    }
}
