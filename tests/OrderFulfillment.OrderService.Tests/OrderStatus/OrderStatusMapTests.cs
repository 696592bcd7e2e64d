using OrderFulfillment.Contracts;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.OrderStatus;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.OrderService.Tests.OrderStatus;

public sealed class OrderStatusMapTests
{
    [Fact]
    public void Every_state_of_the_machine_stands_for_exactly_one_order_status_of_the_contract() =>
        StatusMapAssertions.CoversEveryStateAndStatus(new OrderStateMachine(new OrderFulfillmentMetrics()), OrderStatusMap.Table, OrderStatuses.All);
}
