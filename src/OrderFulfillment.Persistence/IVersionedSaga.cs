using MassTransit;

namespace OrderFulfillment.Persistence;

/// <summary>
/// A saga instance stored by this library. <see cref="Version"/> is PostgreSQL's <c>xmin</c>: a save whose
/// instance changed since it was loaded fails with a concurrency conflict, and the message is retried.
/// </summary>
public interface IVersionedSaga : SagaStateMachineInstance
{
    /// <summary>The row version (<c>xmin</c>), maintained by PostgreSQL.</summary>
    uint Version { get; set; }
}
