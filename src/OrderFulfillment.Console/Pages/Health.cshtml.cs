using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages;

public sealed record HealthSnapshot(
    IReadOnlyList<(string Name, Uri Url, Readiness Readiness)> Services,
    IReadOnlyList<QueueDepth> Queues,
    string? Problem,
    DateTimeOffset CheckedAt);

/// <summary>Both services' readiness and the queue depths; htmx fetches the panel again every few seconds.</summary>
public sealed class HealthModel(ServiceApi services, ManagementApi management, ConnectionSettings settings, TimeProvider clock) : PageModel
{
    public const int RefreshSeconds = 3;

    public HealthSnapshot Snapshot { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Snapshot = await CheckAsync(ct);

    public async Task<IActionResult> OnGetPanelAsync(CancellationToken ct) => Partial("_HealthPanel", await CheckAsync(ct));

    async Task<HealthSnapshot> CheckAsync(CancellationToken ct)
    {
        var orders = services.GetReadinessAsync(settings.OrderService, ct);
        var fulfillments = services.GetReadinessAsync(settings.FulfillmentService, ct);
        IReadOnlyList<QueueDepth> queues = [];
        string? problem = null;
        try
        {
            queues = await management.ListQueueDepthsAsync(ct);
        }
        catch (OperationException exception)
        {
            problem = exception.Message;
        }

        return new HealthSnapshot(
            [("order service", settings.OrderService, await orders), ("fulfillment service", settings.FulfillmentService, await fulfillments)],
            queues, problem, clock.GetUtcNow());
    }
}
