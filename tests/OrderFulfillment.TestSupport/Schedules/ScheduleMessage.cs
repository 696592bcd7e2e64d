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
}

/// <summary>
/// One inbound message of a schedule. <see cref="Fulfillment"/> is the index of the order's warehouse (0, 1, 2);
/// <see cref="Step"/> the warehouse exchange's step (picking_started … completed, cancelled).
/// </summary>
public sealed record ScheduleMessage(MessageKind Kind, int Fulfillment = -1, string? Step = null)
{
    public static readonly string[] Steps = ["picking_started", "picked", "packing_started", "packed", "ready_to_ship", "shipped", "completed"];

    public static ScheduleMessage Confirm() => new(MessageKind.Confirm);
    public static ScheduleMessage WarehouseStep(int fulfillment, string step) => new(MessageKind.Step, fulfillment, step);
    public static ScheduleMessage Deliver(int fulfillment) => new(MessageKind.Deliver, fulfillment);
    public static ScheduleMessage Cancel() => new(MessageKind.Cancel);

    /// <summary>The exchange it is published to.</summary>
    public string Exchange => Kind switch
    {
        MessageKind.Confirm => "order.confirmed",
        MessageKind.Step => "warehouse." + Step,
        MessageKind.Deliver => "delivery.confirmed",
        _ => "order.cancellation_requested",
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
        _ => "Cancel()",
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
