using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Messaging;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

public sealed class FulfillmentStatusMapTests
{
    [Fact]
    public void Every_state_of_the_machine_stands_for_exactly_one_fulfillment_status_of_the_contract() =>
        StatusMapAssertions.CoversEveryStateAndStatus(
            new FulfillmentStateMachine(Options.Create(new FulfillmentDeadlineOptions()), Options.Create(new StepHoldOptions()), new OrderFulfillmentMetrics()),
            FulfillmentStatusMap.Table, FulfillmentStatuses.All);
}
