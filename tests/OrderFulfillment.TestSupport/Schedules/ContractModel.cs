namespace OrderFulfillment.TestSupport.Schedules;

/// <summary>
/// The contract (rules 1 to 7 and the decisions in docs/messages.md) as a small pure model, written from the contract
/// and not from the sagas: fed a schedule's messages in arrival order, it tells each fulfillment's and the order's
/// status, the events that must have been published, and which messages must fault.
/// </summary>
/// <remarks>
/// Holding (rule 6, a hold window above zero): a warehouse step that is not the next one is held, not announced; when
/// the missing steps arrive, the next step is applied and then every held step that has become next, in order. When
/// the hold window ends (its token still current: the window of the hold in force), every held step is applied in
/// lifecycle order as a skip-ahead. A cancellation first applies the held steps, then cancels, and is rejected (nothing
/// changes) if they made the fulfillment shipped; an order cancellation is refused when a fulfillment has shipped or
/// holds a shipment. A held step arriving again is a duplicate.
/// </remarks>
public sealed class ContractModel
{
    static readonly string[] FulfillmentProgression = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped", "completed"];
    static readonly string[] OrderProgression = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    /// <param name="holdsSteps">
    /// Whether a step ahead of its turn is held, as with a hold window above zero (the services' default); without, it
    /// is applied at once as a skip-ahead (<c>StepHold:Window = 0</c>).
    /// </param>
    public ContractModel(bool holdsSteps = true) => HoldsSteps = holdsSteps;

    public sealed class Fulfillment
    {
        public string Status { get; set; } = "planning";
        public string? CancelledFrom { get; set; }

        /// <summary>Statuses announced, in order (sequence = index + 1).</summary>
        public List<string> Announced { get; } = ["pending", "planning"];

        public bool Delivered { get; set; }

        /// <summary>The statuses of the steps held (arrived ahead of their turn, not announced), in lifecycle order.</summary>
        public List<string> Held { get; } = [];

        /// <summary>How many holds have begun: a hold begins when a step is held and none was; its window end carries its number.</summary>
        public int Holds { get; set; }

        /// <summary>The number of the hold in force, or -1 when nothing is held (a window end then has no current token).</summary>
        public int HoldInForce => Held.Count > 0 ? Holds : -1;
    }

    public bool HoldsSteps { get; }
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
        if (message.Kind == MessageKind.Concurrent)
            throw new ArgumentException("a concurrent pair is applied with ApplyConcurrently", nameof(message));
        return Apply(message, fulfillmentCount, HoldsInForce());
    }

    /// <summary>
    /// Applies a concurrent pair as if one of its messages had committed before the other (optimistic concurrency makes
    /// one of them retry against the other's outcome): the second first when <paramref name="secondFirst"/>. A window end
    /// in the pair carries the token of the hold in force when the pair was delivered. Returns whether each must fault.
    /// </summary>
    public (bool First, bool Second) ApplyConcurrently(ScheduleMessage pair, int fulfillmentCount, bool secondFirst)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (pair.Kind != MessageKind.Concurrent)
            throw new ArgumentException("not a concurrent pair", nameof(pair));
        var holds = HoldsInForce();
        if (!secondFirst)
        {
            var first = Apply(pair.First!, fulfillmentCount, holds);
            return (first, Apply(pair.Second!, fulfillmentCount, holds));
        }

        var second = Apply(pair.Second!, fulfillmentCount, holds);
        return (Apply(pair.First!, fulfillmentCount, holds), second);
    }

    /// <summary>
    /// Runs a whole schedule. Bit <c>i</c> of <paramref name="secondFirst"/> says in which order the <c>i</c>-th concurrent
    /// pair took effect. Returns the model and the deliveries that must fault, labelled as <see cref="DeliveryLabel"/> does.
    /// </summary>
    public static (ContractModel Model, List<string> Faults) Run(Schedule schedule, int secondFirst = 0)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var model = new ContractModel();
        var faults = new List<string>();
        var pair = 0;
        for (var i = 0; i < schedule.Messages.Count; i++)
        {
            var message = schedule.Messages[i];
            if (message.Kind != MessageKind.Concurrent)
            {
                if (model.Apply(message, schedule.Fulfillments))
                    faults.Add(DeliveryLabel(i));
                continue;
            }

            var (first, second) = model.ApplyConcurrently(message, schedule.Fulfillments, (secondFirst >> pair++ & 1) == 1);
            if (first)
                faults.Add(DeliveryLabel(i, 0));
            if (second)
                faults.Add(DeliveryLabel(i, 1));
        }

        return (model, faults);
    }

    /// <summary>Names one delivery of a schedule: <c>3</c> for its fourth message, <c>3.1</c> and <c>3.2</c> for the two of a concurrent pair.</summary>
    public static string DeliveryLabel(int index, int? member = null) => member is { } m ? $"{index}.{m + 1}" : $"{index}";

    int[] HoldsInForce() => [.. Fulfillments.Select(f => f.HoldInForce)];

    bool Apply(ScheduleMessage message, int fulfillmentCount, int[] holdsInForce)
    {
        var faults = message.Kind switch
        {
            MessageKind.Confirm => Confirm(fulfillmentCount),
            MessageKind.Step => Step(Fulfillments[message.Fulfillment], message.Step!),
            MessageKind.Deliver => Deliver(Fulfillments[message.Fulfillment]),
            MessageKind.Cancel => Cancel(),
            MessageKind.WindowEnds => WindowEnds(Fulfillments[message.Fulfillment], holdsInForce[message.Fulfillment]),
            MessageKind.LateWindowEnds => false, // its token is not current: ignored
            _ => throw new ArgumentOutOfRangeException(nameof(message)),
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

    bool Step(Fulfillment f, string step)
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
            // The steps held before it are applied first, so a held shipment forbids it too; rejected, it changes nothing.
            var reached = f.Held.Count > 0 ? f.Held[^1] : f.Status;
            if (Rank(reached) >= Rank("shipped"))
                return true; // nothing shipped is cancelled
            ReleaseAll(f);
            Change(f, "cancelled");
            return false;
        }

        var target = ScheduleMessage.StatusOf(step);
        if (Rank(target) <= Rank(f.Status))
            return false; // a duplicate or stale step: acknowledged without effect
        if (!HoldsSteps || Rank(target) == Rank(f.Status) + 1)
        {
            Change(f, target); // without holding, also when it skips steps
            ReleaseInTurn(f);
            return false;
        }

        if (f.Held.Contains(target))
            return false; // held already: a duplicate
        if (f.Held.Count == 0)
            f.Holds++;
        f.Held.Add(target);
        f.Held.Sort((a, b) => Rank(a).CompareTo(Rank(b)));
        return false;
    }

    static bool WindowEnds(Fulfillment f, int hold)
    {
        if (hold >= 0 && f.HoldInForce == hold)
            ReleaseAll(f); // its token is current: every held step as a skip-ahead
        return false;
    }

    static bool Deliver(Fulfillment f)
    {
        f.Delivered = true; // kept even before shipment; counts once shipped
        return false;
    }

    bool Cancel()
    {
        if (Fulfillments.Any(f => Rank(f.Status) >= Rank("shipped") || f.Held.Any(s => Rank(s) >= Rank("shipped"))))
        {
            Refusals++;
            return false;
        }

        foreach (var f in Fulfillments.Where(f => f.Status != "cancelled"))
        {
            ReleaseAll(f);
            Change(f, "cancelled");
        }

        return false;
    }

    /// <summary>The gap before held steps closed: each one that is now next is applied, in order.</summary>
    static void ReleaseInTurn(Fulfillment f)
    {
        while (f.Held.Count > 0 && Rank(f.Held[0]) == Rank(f.Status) + 1)
        {
            Change(f, f.Held[0]);
            f.Held.RemoveAt(0);
        }
    }

    /// <summary>The hold window ended or a cancellation came: every held step is applied in lifecycle order, skipping ahead.</summary>
    static void ReleaseAll(Fulfillment f)
    {
        foreach (var status in f.Held)
            Change(f, status);
        f.Held.Clear();
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

    /// <summary>A fulfillment status's position in the lifecycle (cancelled apart: -1).</summary>
    public static int Rank(string status) => Array.IndexOf(FulfillmentProgression, status);

    /// <summary>The lifecycle, pending to completed.</summary>
    public static IReadOnlyList<string> Lifecycle => FulfillmentProgression;
}
