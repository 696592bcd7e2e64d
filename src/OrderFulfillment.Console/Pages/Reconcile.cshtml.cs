using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Console.Hosting;
using OrderFulfillment.Console.Reconciliation;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.Reconciliation;

namespace OrderFulfillment.Console.Pages;

/// <summary>A repair asked for on the page: which fulfillment, and what the comparison just before it found and did.</summary>
public sealed record RepairView(string OrderId, Guid FulfillmentId, RepairAttempt Attempt);

/// <summary>
/// The drift the last reconciliation sweep confirmed (<see cref="DriftWatch"/>), a sweep on request, and a repair per
/// drifted fulfillment: the fulfillment service announces it again, which the order service applies only if it is new.
/// </summary>
public sealed class ReconcileModel(DriftWatch watch) : PageModel
{
    public DriftSweep? Sweep => watch.LastSweep;
    public SweepFailure? Failure => watch.LastFailure;
    public RepairView? Repair { get; private set; }
    public string? Problem { get; private set; }

    public string Schedule => watch.Interval == TimeSpan.Zero
        ? "The periodic sweep is off (Reconcile__Interval is 0): sweep by hand."
        : $"A sweep runs every {watch.Interval.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s (Reconcile__Interval).";

    public void OnGet()
    {
    }

    public async Task OnPostSweepAsync(CancellationToken ct)
    {
        await watch.SweepAsync(ct);
        if (Failure is not null)
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
    }

    public async Task<IActionResult> OnPostRepairAsync(string? orderId, string? fulfillmentId, CancellationToken ct)
    {
        if (orderId is null || !OrderIds.IsValid(orderId))
            return ParameterChecks.Invalid("orderId", $"it is not an order id ({OrderIds.Rule})");
        if (!Guid.TryParse(fulfillmentId, CultureInfo.InvariantCulture, out var id))
            return ParameterChecks.Invalid("fulfillmentId", "it is not a fulfillment id (a UUID)");
        try
        {
            Repair = new RepairView(orderId, id, await watch.RepairAsync(orderId, id, ct));
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }

        return Page();
    }
}
