namespace OrderFulfillment.TestSupport.Schedules;

/// <summary>What kind of producer message a schedule entry is.</summary>
public enum MessageKind
{
    /// <summary>order.confirmed, from checkout.</summary>
    Confirm,

    /// <summary>A warehouse.* step for one fulfillment, from the WMS.</summary>
    Step,

    /// <summary>delivery.confirmed for one fulfillment, from the carrier.</summary>
    Deliver,

    /// <summary>order.cancellation_requested, from checkout.</summary>
    Cancel,

    /// <summary>
    /// The hold window of one fulfillment ends: its FulfillmentHoldExpired comes due, with the token of the hold in force
    /// (when nothing is held, a late one, whose token is no longer current). From the fulfillment service's own scheduler.
    /// </summary>
    WindowEnds,

    /// <summary>The end of an earlier hold window of one fulfillment, arriving late: its token is not current, whatever is held.</summary>
    LateWindowEnds,

    /// <summary>Two of the above delivered at once, to two instances (competing consumers): <see cref="ScheduleMessage.First"/> and <see cref="ScheduleMessage.Second"/>.</summary>
    Concurrent,
}

/// <summary>
/// One inbound message of a schedule. <see cref="Fulfillment"/> is the index of the order's warehouse (0, 1, 2);
/// <see cref="Step"/> the warehouse exchange's step (picking_started … completed, cancelled); a concurrent pair holds
/// its two messages in <see cref="First"/> and <see cref="Second"/>.
/// </summary>
public sealed record ScheduleMessage(MessageKind Kind, int Fulfillment = -1, string? Step = null, ScheduleMessage? First = null,
    ScheduleMessage? Second = null)
{
    public static readonly string[] Steps = ["picking_started", "picked", "packing_started", "packed", "ready_to_ship", "shipped", "completed"];

    public static ScheduleMessage Confirm() => new(MessageKind.Confirm);
    public static ScheduleMessage WarehouseStep(int fulfillment, string step) => new(MessageKind.Step, fulfillment, step);
    public static ScheduleMessage Deliver(int fulfillment) => new(MessageKind.Deliver, fulfillment);
    public static ScheduleMessage Cancel() => new(MessageKind.Cancel);
    public static ScheduleMessage WindowEnds(int fulfillment) => new(MessageKind.WindowEnds, fulfillment);
    public static ScheduleMessage LateWindowEnds(int fulfillment) => new(MessageKind.LateWindowEnds, fulfillment);

    /// <summary>Two messages taken at once by two instances; neither is an order confirmation (it creates the sagas the others need).</summary>
    public static ScheduleMessage Concurrently(ScheduleMessage first, ScheduleMessage second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (!first.CanRunConcurrently || !second.CanRunConcurrently)
            throw new ArgumentException($"{first} and {second} cannot be delivered at once");
        return new(MessageKind.Concurrent, First: first, Second: second);
    }

    /// <summary>Whether it may be one of a concurrent pair.</summary>
    public bool CanRunConcurrently => Kind is not (MessageKind.Confirm or MessageKind.Concurrent);

    /// <summary>The messages delivered: the pair's two, or this one.</summary>
    public IEnumerable<ScheduleMessage> Deliveries => Kind == MessageKind.Concurrent ? [First!, Second!] : [this];

    /// <summary>The exchange a producer publishes it to.</summary>
    public string Exchange => Kind switch
    {
        MessageKind.Confirm => "order.confirmed",
        MessageKind.Step => "warehouse." + Step,
        MessageKind.Deliver => "delivery.confirmed",
        MessageKind.Cancel => "order.cancellation_requested",
        _ => throw new InvalidOperationException($"{this} is not published by a producer"),
    };

    /// <summary>The fulfillment status a warehouse step moves to.</summary>
    public static string StatusOf(string step) => step switch
    {
        "picking_started" => "picking",
        "packing_started" => "packing",
        "ready_to_ship" => "ready",
        _ => step,
    };

    public override string ToString() => Kind switch
    {
        MessageKind.Confirm => "Confirm()",
        MessageKind.Step => $"WarehouseStep({Fulfillment}, \"{Step}\")",
        MessageKind.Deliver => $"Deliver({Fulfillment})",
        MessageKind.Cancel => "Cancel()",
        MessageKind.WindowEnds => $"WindowEnds({Fulfillment})",
        MessageKind.LateWindowEnds => $"LateWindowEnds({Fulfillment})",
        _ => $"Concurrently(ScheduleMessage.{First}, ScheduleMessage.{Second})",
    };
}

/// <summary>An order of <see cref="Fulfillments"/> warehouses and the inbound messages it receives, in arrival order.</summary>
public sealed record Schedule(int Fulfillments, IReadOnlyList<ScheduleMessage> Messages, string Origin)
{
    public static readonly string[] Warehouses = ["WH-A", "WH-B", "WH-C"];

    /// <summary>A line a developer can paste into a unit test.</summary>
    public string Reproduction() =>
        $"new Schedule({Fulfillments}, [{string.Join(", ", Messages.Select(m => "ScheduleMessage." + m))}], \"{Origin}\")";
}
