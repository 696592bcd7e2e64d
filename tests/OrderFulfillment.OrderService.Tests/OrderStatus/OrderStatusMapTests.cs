using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.OrderStatus;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

public sealed class OrderStatusMapTests
{
    [Fact]
    public void Every_state_of_the_machine_stands_for_exactly_one_order_status_of_the_contract()
    {
        var machine = new OrderStateMachine(new OrderFulfillmentMetrics());
        var states = machine.States.Select(s => s.Name).Where(name => name is not "Initial" and not "Final").Order().ToList();

        Assert.Equal(states, OrderStatusMap.States.Keys.Order());
        Assert.Equal(OrderStatuses.All.Order(), OrderStatusMap.States.Values.Order());
        Assert.All(OrderStatuses.All, status => Assert.Equal(status, OrderStatusMap.StatusOf(OrderStatusMap.StateOf(status))));
    }

    [Fact]
    public void A_name_that_is_not_a_state_or_status_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatusMap.StatusOf("Initial"));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatusMap.StateOf("Partially_Shipped"));
    }
}
