namespace OrderFulfillment.TestSupport.Schedules;

/// <summary>
/// The contract (rules 1 to 7 and the decisions in docs/messages.md) as a small pure model, written from the contract
/// and not from the sagas: fed a schedule's messages in arrival order, it tells each fulfillment's and the order's
/// status, the events that must have been published, and which messages must fault.
/// </summary>
public sealed class ContractModel
{
    static readonly string[] FulfillmentProgression = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped", "completed"];
    static readonly string[] OrderProgression = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    public sealed class Fulfillment
    {
        public string Status { get; set; } = "planning";
        public string? CancelledFrom { get; set; }

        /// <summary>Statuses announced, in order (sequence = index + 1).</summary>
        public List<string> Announced { get; } = ["pending", "planning"];

        public bool Delivered { get; set; }
    }

    public bool Confirmed { get; private set; }
    public List<Fulfillment> Fulfillments { get; } = [];

    /// <summary>The order statuses announced, in order.</summary>
    public List<string> OrderStatuses { get; } = [];

    public int Refusals { get; private set; }

    public string OrderStatus => OrderStatuses.Count == 0 ? "none" : OrderStatuses[^1];

    /// <summary>Applies one message; returns true when the contract says it must fault (error queue).</summary>
    public bool Apply(ScheduleMessage message, int fulfillmentCount)
    {
        ArgumentNullException.ThrowIfNull(message);
        var faults = message.Kind switch
        {
            MessageKind.Confirm => Confirm(fulfillmentCount),
            MessageKind.Step => Step(Fulfillments[message.Fulfillment], message.Step!),
            MessageKind.Deliver => Deliver(Fulfillments[message.Fulfillment]),
            _ => Cancel(),
        };
        Derive();
        return faults;
    }

    bool Confirm(int count)
    {
        if (Confirmed)
            return false; // the same order confirmed again creates nothing twice
        Confirmed = true;
        for (var i = 0; i < count; i++)
            Fulfillments.Add(new Fulfillment());
        OrderStatuses.Add("confirmed");
        return false;
    }

    static bool Step(Fulfillment f, string step)
    {
        if (f.Status == "cancelled")
        {
            if (step == "cancelled")
                return false; // duplicate
            // A step the fulfillment had reached before it was cancelled is stale; a later one comes too late.
            return Rank(ScheduleMessage.StatusOf(step)) > Rank(f.CancelledFrom!);
        }

        if (step == "cancelled")
        {
            if (Rank(f.Status) >= Rank("shipped"))
                return true; // nothing shipped is cancelled
            Change(f, "cancelled");
            return false;
        }

        var target = ScheduleMessage.StatusOf(step);
        if (Rank(target) > Rank(f.Status))
            Change(f, target); // also when it skips steps
        return false; // otherwise a duplicate or stale step: acknowledged without effect
    }

    static bool Deliver(Fulfillment f)
    {
        f.Delivered = true; // kept even before shipment; counts once shipped
        return false;
    }

    bool Cancel()
    {
        if (Fulfillments.Any(f => Rank(f.Status) >= Rank("shipped")))
        {
            Refusals++;
            return false;
        }

        foreach (var f in Fulfillments.Where(f => f.Status != "cancelled"))
            Change(f, "cancelled");
        return false;
    }

    static void Change(Fulfillment f, string status)
    {
        if (status == "cancelled")
            f.CancelledFrom = f.Status;
        f.Status = status;
        f.Announced.Add(status);
    }

    void Derive()
    {
        if (!Confirmed)
            return;
        var active = Fulfillments.Where(f => f.Status != "cancelled").ToList();
        string derived;
        if (active.Count == 0)
            derived = "cancelled";
        else
        {
            var shipped = active.Count(f => Rank(f.Status) >= Rank("shipped"));
            var delivered = active.Count(f => Rank(f.Status) >= Rank("shipped") && f.Delivered);
            derived = delivered == active.Count ? "delivered"
                : delivered > 0 ? "partially_delivered"
                : shipped == active.Count ? "shipped"
                : shipped > 0 ? "partially_shipped"
                : active.Any(f => f.Status != "pending") ? "processing"
                : "confirmed";
        }

        var current = OrderStatus;
        if (current == "cancelled" || derived == current)
            return;
        if (derived == "cancelled" || Array.IndexOf(OrderProgression, derived) > Array.IndexOf(OrderProgression, current))
            OrderStatuses.Add(derived);
    }

    static int Rank(string status) => Array.IndexOf(FulfillmentProgression, status);
}
