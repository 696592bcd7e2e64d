using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Console.Hosting;
using OrderFulfillment.Contracts;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages.Orders;

/// <summary>One order: its status from the order service, each fulfillment's history from the fulfillment service, the timeline.</summary>
public sealed class OrderModel(ServiceApi services, TraceLinks traces) : PageModel
{
    public string OrderId { get; private set; } = "";
    public JsonElement? Order { get; private set; }
    public IReadOnlyList<JsonElement> Fulfillments { get; private set; } = [];
    public string? Problem { get; private set; }

    /// <summary>The order's trace in the trace UI, when <c>Console__TraceUi</c> is set.</summary>
    public Uri? TraceLink { get; private set; }

    public async Task<IActionResult> OnGetAsync(string orderId, CancellationToken ct)
    {
        if (!OrderIds.IsValid(orderId))
            return ParameterChecks.Invalid("orderId", $"'{orderId}' is not an order id ({OrderIds.Rule})");
        OrderId = orderId;
        TraceLink = traces.ForOrder(orderId);
        try
        {
            Order = await services.GetOrderAsync(orderId, ct);
            if (Order is null)
            {
                Response.StatusCode = StatusCodes.Status404NotFound;
                return Page();
            }

            if (await services.GetOrderFulfillmentsAsync(orderId, ct) is { ValueKind: JsonValueKind.Array } fulfillments)
                Fulfillments = [.. fulfillments.EnumerateArray()];
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }

        return Page();
    }
}
