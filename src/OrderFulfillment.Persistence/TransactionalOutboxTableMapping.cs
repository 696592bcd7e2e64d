using Microsoft.EntityFrameworkCore;
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
            outbox.Property(x => x.MessageId).HasColumnName("message_id");
            outbox.Property(x => x.OrderingKey).HasColumnName("ordering_key");
            outbox.Property(x => x.ConversationId).HasColumnName("conversation_id");
            outbox.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            outbox.Property(x => x.InitiatorId).HasColumnName("initiator_id");
            outbox.Property(x => x.RequestId).HasColumnName("request_id");
            outbox.Property(x => x.SourceAddress).HasColumnName("source_address");
            outbox.Property(x => x.DestinationAddress).HasColumnName("destination_address");
            outbox.Property(x => x.ResponseAddress).HasColumnName("response_address");
            outbox.Property(x => x.FaultAddress).HasColumnName("fault_address");
            outbox.Property(x => x.SentTime).HasColumnName("sent_time");
            outbox.Property(x => x.ExpirationTime).HasColumnName("expiration_time");
            outbox.Property(x => x.ContentType).HasColumnName("content_type");
            outbox.Property(x => x.MessageType).HasColumnName("message_type");
            outbox.Property(x => x.Body).HasColumnName("body");
            outbox.Property(x => x.Headers).HasColumnName("headers");
            outbox.Property(x => x.Properties).HasColumnName("properties");
            outbox.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
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
            scheduled.Property(x => x.MessageId).HasColumnName("message_id");
            scheduled.Property(x => x.OrderingKey).HasColumnName("ordering_key");
            scheduled.Property(x => x.ConversationId).HasColumnName("conversation_id");
            scheduled.Property(x => x.CorrelationId).HasColumnName("correlation_id");
            scheduled.Property(x => x.InitiatorId).HasColumnName("initiator_id");
            scheduled.Property(x => x.RequestId).HasColumnName("request_id");
            scheduled.Property(x => x.SourceAddress).HasColumnName("source_address");
            scheduled.Property(x => x.DestinationAddress).HasColumnName("destination_address");
            scheduled.Property(x => x.ResponseAddress).HasColumnName("response_address");
            scheduled.Property(x => x.FaultAddress).HasColumnName("fault_address");
            scheduled.Property(x => x.SentTime).HasColumnName("sent_time");
            scheduled.Property(x => x.ExpirationTime).HasColumnName("expiration_time");
            scheduled.Property(x => x.ContentType).HasColumnName("content_type");
            scheduled.Property(x => x.MessageType).HasColumnName("message_type");
            scheduled.Property(x => x.Body).HasColumnName("body");
            scheduled.Property(x => x.Headers).HasColumnName("headers");
            scheduled.Property(x => x.Properties).HasColumnName("properties");
            scheduled.Property(x => x.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            scheduled.HasIndex(x => x.DeliverAt);
        });
        return modelBuilder;
    }
}
