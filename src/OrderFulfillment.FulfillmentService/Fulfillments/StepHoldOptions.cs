using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// How long a warehouse step that arrived ahead of the next one is held for the steps in between
/// (<c>StepHold__Window=00:00:05</c>, the contract's rule 6). When the window ends without them, the held steps are
/// applied as skip-aheads. <c>00:00:00</c> holds nothing: every step that skips ahead is applied at once.
/// </summary>
public sealed class StepHoldOptions
{
    public const string Section = "StepHold";

    /// <summary>The hold window: the latency a step that genuinely skips ahead pays for a history in lifecycle order.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "StepHold:Window must be between 00:00:00 and 00:01:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Why held steps were applied: the metric <c>orderfulfillment_steps_released_total</c> tags them so.</summary>
public enum StepRelease
{
    /// <summary>The steps in between arrived: the held step was applied in its turn (<c>gap_closed</c>).</summary>
    GapClosed,

    /// <summary>The hold window ended first: applied as a skip-ahead (<c>window</c>).</summary>
    Window,

    /// <summary>A cancellation came: the steps held before it were applied first (<c>cancellation</c>).</summary>
    Cancellation,
}
