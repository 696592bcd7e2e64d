using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.Console.Reconciliation;

/// <summary>Section <c>Reconcile</c>: how often the console sweeps for drift between the two services.</summary>
public sealed class ReconcileOptions
{
    public const string Section = "Reconcile";

    /// <summary>
    /// Time between two sweeps (<c>Reconcile__Interval</c>, e.g. <c>00:01:00</c>); <c>0</c> turns the periodic sweep off
    /// (the page's "Sweep now" still works). At most a day, so a bare number (<c>60</c>, read as 60 days) is refused at start.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);
}
