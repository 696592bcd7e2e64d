namespace OrderFulfillment.Persistence.MessageTransaction;

/// <summary>
/// Found on the consume context inside the transactional outbox: the rows a consumed message changes are staged here
/// and written with its inbox and outbox rows, in one batch of statements, before the commit.
/// </summary>
internal interface ISavesChangesBeforeCommit
{
    /// <summary>Writes <paramref name="write"/> with the message's other rows.</summary>
    void Stage(RowWrite write);

    /// <summary>Forgets what was staged for <paramref name="entity"/> (its change is undone).</summary>
    void Unstage(object entity);
}
