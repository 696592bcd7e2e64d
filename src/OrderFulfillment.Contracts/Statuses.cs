namespace OrderFulfillment.Contracts;

/// <summary>Order statuses as they appear on the wire, in their order (cancelled is terminal and apart).</summary>
public static class OrderStatuses
{
    public const string Confirmed = "confirmed";
    public const string Processing = "processing";
    public const string PartiallyShipped = "partially_shipped";
    public const string Shipped = "shipped";
    public const string PartiallyDelivered = "partially_delivered";
    public const string Delivered = "delivered";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> Progression =
        [Confirmed, Processing, PartiallyShipped, Shipped, PartiallyDelivered, Delivered];

    public static readonly IReadOnlyList<string> All = [.. Progression, Cancelled];
}

/// <summary>Fulfillment statuses as they appear on the wire, in their order (cancelled is terminal and apart).</summary>
public static class FulfillmentStatuses
{
    public const string Pending = "pending";
    public const string Planning = "planning";
    public const string Picking = "picking";
    public const string Picked = "picked";
    public const string Packing = "packing";
    public const string Packed = "packed";
    public const string Ready = "ready";
    public const string Shipped = "shipped";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    public static readonly IReadOnlyList<string> Progression =
        [Pending, Planning, Picking, Picked, Packing, Packed, Ready, Shipped, Completed];

    public static readonly IReadOnlyList<string> All = [.. Progression, Cancelled];

    /// <summary>Position in the progression; -1 for cancelled or an unknown status.</summary>
    public static int Rank(string status) => Progression.IndexOf(status);

    static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
            if (list[i] == value) return i;
        return -1;
    }
}
