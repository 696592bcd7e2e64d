using OrderFulfillment.Contracts;
using OrderFulfillment.OrderService.OrderStatus;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

/// <summary>
/// An event for an order not known yet is retried (its order.confirmed may be on its way) for about 20 s before it faults:
/// run once, on the in-memory harness, not again with <see cref="OrderStateMachineTests.OnPostgres"/>.
/// </summary>
public sealed class UnknownOrderTests
{
    [Fact]
    public async Task Events_for_an_unknown_order_fault()
    {
        await using var h = await OrderHarness.StartAsync();

        var received = await h.DeliverAsync("ORD-NEVER", "WH-EAST");

        Assert.IsType<UnknownOrderException>(received.Exception);
        Assert.Empty(h.Host.Published<OrderStatusChanged>());
    }
}
