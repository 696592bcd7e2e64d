using System.Text.Json;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Console.Hosting;

/// <summary>
/// Links from an order to its trace in the trace UI (Jaeger) at <c>Console__TraceUi</c>, when one is configured. The link
/// searches the order service's traces for the order saga's id (MassTransit tags each saga span with
/// <c>messaging.masstransit.saga_id</c>): one trace when every producer passed the trace on, each trace of the order when
/// one did not.
/// </summary>
public sealed class TraceLinks(IOptions<ConsoleOptions> options)
{
    public Uri? ForOrder(string orderId)
    {
        if (options.Value.TraceUi is not { } ui)
            return null;
        var tags = JsonSerializer.Serialize(new Dictionary<string, string> { ["messaging.masstransit.saga_id"] = DeterministicId.ForOrder(orderId).ToString("D") });
        return new Uri(new Uri(ui.ToString().TrimEnd('/') + "/"), $"search?service=order-service&lookback=7d&tags={Uri.EscapeDataString(tags)}");
    }
}
