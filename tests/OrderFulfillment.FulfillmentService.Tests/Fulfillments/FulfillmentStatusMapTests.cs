using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.FulfillmentService.Tests.Fulfillments;

public sealed class FulfillmentStatusMapTests
{
    [Fact]
    public void Every_state_of_the_machine_stands_for_exactly_one_fulfillment_status_of_the_contract()
    {
        var machine = new FulfillmentStateMachine(Options.Create(new FulfillmentDeadlineOptions()), Options.Create(new StepHoldOptions()),
            new OrderFulfillmentMetrics());
        var states = machine.States.Select(s => s.Name).Where(name => name is not "Initial" and not "Final").Order().ToList();

        Assert.Equal(states, FulfillmentStatusMap.States.Keys.Order());
        Assert.Equal(FulfillmentStatuses.All.Order(), FulfillmentStatusMap.States.Values.Order());
        Assert.All(FulfillmentStatuses.All, status => Assert.Equal(status, FulfillmentStatusMap.StatusOf(FulfillmentStatusMap.StateOf(status))));
    }

    [Fact]
    public void A_name_that_is_not_a_state_or_status_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FulfillmentStatusMap.StatusOf("Initial"));
        Assert.Throws<ArgumentOutOfRangeException>(() => FulfillmentStatusMap.StateOf("Picking"));
    }
}
