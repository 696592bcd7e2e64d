using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// How long a fulfillment may stay in a status before <c>fulfillment.overdue</c> is published
/// (<c>FulfillmentDeadlines__picking=04:00:00</c>). A status without a deadline, or with <c>00:00:00</c>, is never overdue.
/// </summary>
public sealed class FulfillmentDeadlineOptions
{
    public const string Section = "FulfillmentDeadlines";

    public TimeSpan? Pending { get; set; }
    public TimeSpan? Planning { get; set; }
    public TimeSpan? Picking { get; set; } = TimeSpan.FromHours(4);
    public TimeSpan? Picked { get; set; }
    public TimeSpan? Packing { get; set; }
    public TimeSpan? Packed { get; set; }
    public TimeSpan? Ready { get; set; }
    public TimeSpan? Shipped { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The deadline of <paramref name="status"/>, or null where it has none.</summary>
    public TimeSpan? For(string status)
    {
        var deadline = status switch
        {
            FulfillmentStatuses.Pending => Pending,
            FulfillmentStatuses.Planning => Planning,
            FulfillmentStatuses.Picking => Picking,
            FulfillmentStatuses.Picked => Picked,
            FulfillmentStatuses.Packing => Packing,
            FulfillmentStatuses.Packed => Packed,
            FulfillmentStatuses.Ready => Ready,
            FulfillmentStatuses.Shipped => Shipped,
            _ => null,
        };
        return deadline > TimeSpan.Zero ? deadline : null;
    }

    /// <summary>No status has a deadline (the schedule explorer's harness, whose runs never wait hours).</summary>
    public void Clear() => Pending = Planning = Picking = Picked = Packing = Packed = Ready = Shipped = null;
}
