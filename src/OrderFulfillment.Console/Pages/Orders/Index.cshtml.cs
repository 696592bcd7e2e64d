using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Console.Hosting;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages.Orders;

/// <summary>Find an order by id; list orders by status and by how long they have not changed (stuck orders).</summary>
public sealed class OrdersIndexModel(ServiceApi services, TimeProvider clock) : PageModel
{
    const int PageSize = 100;

    // A year: further back than any order this console lists, and well inside what a time can be moved back by.
    const int MaxStuckMinutes = 366 * 24 * 60;

    [BindProperty(SupportsGet = true)]
    public string? OrderId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Status { get; set; }

    [BindProperty(SupportsGet = true)]
    public int? StuckMinutes { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? After { get; set; }

    public IReadOnlyList<JsonElement>? Orders { get; private set; }
    public string? Next { get; private set; }
    public bool OrderNotFound { get; private set; }
    public string? Problem { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (StuckMinutes is < 0 or > MaxStuckMinutes)
            return ParameterChecks.Invalid("stuckMinutes", $"{StuckMinutes} is not 0 to {MaxStuckMinutes} minutes");
        if (!string.IsNullOrEmpty(After) && !OrderIds.IsValid(After))
            return ParameterChecks.Invalid("after", $"'{After}' is not an order id ({OrderIds.Rule})");
        try
        {
            if (!string.IsNullOrWhiteSpace(OrderId))
            {
                OrderId = OrderId.Trim();
                if (OrderIds.IsValid(OrderId) && await services.GetOrderAsync(OrderId, ct) is not null)
                    return RedirectToPage("/Orders/Order", new { orderId = OrderId });
                OrderNotFound = true;
                Response.StatusCode = StatusCodes.Status404NotFound;
            }

            Status = string.IsNullOrEmpty(Status) || !OrderStatuses.All.Contains(Status) ? null : Status;
            var updatedBefore = StuckMinutes is > 0 and var minutes ? clock.GetUtcNow().AddMinutes(-minutes) : (DateTimeOffset?)null;
            var page = await services.ListOrdersAsync(Status, After, PageSize, updatedBefore, ct);
            Orders = [.. page.Items("orders")];
            Next = page.Text("next");
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }

        return Page();
    }
}
