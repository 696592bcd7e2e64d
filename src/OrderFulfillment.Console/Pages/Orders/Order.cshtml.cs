using System.Text.Json;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages.Orders;

/// <summary>One order: its status from the order service, each fulfillment's history from the fulfillment service, the timeline.</summary>
public sealed class OrderModel(ServiceApi services) : PageModel
{
    public string OrderId { get; private set; } = "";
    public JsonElement? Order { get; private set; }
    public IReadOnlyList<JsonElement> Fulfillments { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(string orderId, CancellationToken ct)
    {
        OrderId = orderId;
        try
        {
            Order = await services.GetOrderAsync(orderId, ct);
            if (Order is null)
            {
                Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (await services.GetOrderFulfillmentsAsync(orderId, ct) is { ValueKind: JsonValueKind.Array } fulfillments)
                Fulfillments = [.. fulfillments.EnumerateArray()];
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
