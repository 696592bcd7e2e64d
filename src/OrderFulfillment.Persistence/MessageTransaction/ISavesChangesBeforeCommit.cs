namespace OrderFulfillment.Persistence.MessageTransaction;

/// <summary>Found on the consume context inside the transactional outbox, which saves the DbContext before it commits.</summary>
internal interface ISavesChangesBeforeCommit;
