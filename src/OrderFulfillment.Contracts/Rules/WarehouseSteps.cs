namespace OrderFulfillment.Contracts;

/// <summary>
/// A warehouse step: its message, the exchange it travels on, and the fulfillment status it moves to. Its name on the
/// command line (<c>picking-started</c>) is the exchange's, after <c>warehouse.</c>, with dashes.
/// </summary>
public sealed record WarehouseStep(Type Message, string Exchange, string Status, Func<object, Guid> FulfillmentIdOf, Func<object, DateTimeOffset> OccurredAtOf)
{
    public string Name => Exchange["warehouse.".Length..].Replace('_', '-');
}

/// <summary>Receives each warehouse step with its message type, for code that needs the type itself (a partitioner, a saga event).</summary>
public interface IWarehouseStepVisitor
{
    void Visit<T>(WarehouseStep step, Func<T, Guid> fulfillmentId)
        where T : class;
}

/// <summary>
/// The one list of warehouse steps, in lifecycle order (cancelled last). The exchange names (<see cref="ContractExchanges"/>),
/// the validation of a step (<see cref="ContractValidator"/>), the fulfillment saga's events and its endpoint's partitioner,
/// and the steps of ofctl, the console and the replay forecast are all derived from it.
/// </summary>
public static class WarehouseSteps
{
    /// <summary>Visits every step with its type; the list, written once.</summary>
    public static void Accept(IWarehouseStepVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        Visit<WarehousePickingStarted>(visitor, WarehousePickingStarted.Exchange, FulfillmentStatuses.Picking, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehousePicked>(visitor, WarehousePicked.Exchange, FulfillmentStatuses.Picked, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehousePackingStarted>(visitor, WarehousePackingStarted.Exchange, FulfillmentStatuses.Packing, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehousePacked>(visitor, WarehousePacked.Exchange, FulfillmentStatuses.Packed, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehouseReadyToShip>(visitor, WarehouseReadyToShip.Exchange, FulfillmentStatuses.Ready, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehouseShipped>(visitor, WarehouseShipped.Exchange, FulfillmentStatuses.Shipped, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehouseCompleted>(visitor, WarehouseCompleted.Exchange, FulfillmentStatuses.Completed, m => m.FulfillmentId, m => m.OccurredAt);
        Visit<WarehouseCancelled>(visitor, WarehouseCancelled.Exchange, FulfillmentStatuses.Cancelled, m => m.FulfillmentId, m => m.OccurredAt);
    }

    public static readonly IReadOnlyList<WarehouseStep> All = Collect();

    public static WarehouseStep Shipped => All.Single(s => s.Status == FulfillmentStatuses.Shipped);

    public static WarehouseStep Cancelled => All.Single(s => s.Status == FulfillmentStatuses.Cancelled);

    public static WarehouseStep? ByName(string name) => All.FirstOrDefault(s => s.Name == name);

    public static WarehouseStep? ByExchange(string? exchange) => All.FirstOrDefault(s => s.Exchange == exchange);

    public static WarehouseStep? ByMessage(Type message) => All.FirstOrDefault(s => s.Message == message);

    /// <summary>The step that moves a fulfillment on from <paramref name="status"/> in the normal lifecycle (planning → picking-started …).</summary>
    public static WarehouseStep? After(string status)
    {
        var rank = FulfillmentStatuses.Rank(status);
        return rank < FulfillmentStatuses.Rank(FulfillmentStatuses.Planning) ? null
            : All.FirstOrDefault(s => s != Cancelled && FulfillmentStatuses.Rank(s.Status) == rank + 1);
    }

    static void Visit<T>(IWarehouseStepVisitor visitor, string exchange, string status, Func<T, Guid> fulfillmentId, Func<T, DateTimeOffset> occurredAt)
        where T : class =>
        visitor.Visit(new WarehouseStep(typeof(T), exchange, status, m => fulfillmentId((T)m), m => occurredAt((T)m)), fulfillmentId);

    static List<WarehouseStep> Collect()
    {
        var collector = new Collector();
        Accept(collector);
        return collector.Steps;
    }

    sealed class Collector : IWarehouseStepVisitor
    {
        public List<WarehouseStep> Steps { get; } = [];

        public void Visit<T>(WarehouseStep step, Func<T, Guid> fulfillmentId)
            where T : class => Steps.Add(step);
    }
}
