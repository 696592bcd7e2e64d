using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Tests.Contracts;

/// <summary>The one list of warehouse steps, and what is derived from it.</summary>
public sealed class WarehouseStepsTests
{
    [Fact]
    public void The_steps_move_a_fulfillment_through_the_lifecycle_in_order_with_cancelled_last() =>
        Assert.Equal([.. FulfillmentStatuses.Progression.Skip(2), FulfillmentStatuses.Cancelled], WarehouseSteps.All.Select(step => step.Status));

    [Fact]
    public void Each_step_travels_on_its_own_contract_exchange()
    {
        foreach (var step in WarehouseSteps.All)
            Assert.Equal(step.Exchange, ContractExchanges.ByType[step.Message]);
        Assert.Equal(WarehouseSteps.All.Count, WarehouseSteps.All.Select(step => step.Exchange).Distinct().Count());
    }

    [Theory]
    [InlineData("picking-started", WarehousePickingStarted.Exchange)]
    [InlineData("ready-to-ship", WarehouseReadyToShip.Exchange)]
    [InlineData("cancelled", WarehouseCancelled.Exchange)]
    public void A_step_is_named_on_the_command_line_after_its_exchange(string name, string exchange) =>
        Assert.Equal(exchange, WarehouseSteps.ByName(name)?.Exchange);

    [Theory]
    [InlineData(FulfillmentStatuses.Pending, null)]
    [InlineData(FulfillmentStatuses.Planning, FulfillmentStatuses.Picking)]
    [InlineData(FulfillmentStatuses.Ready, FulfillmentStatuses.Shipped)]
    [InlineData(FulfillmentStatuses.Completed, null)]
    public void The_step_after_a_status_is_the_next_in_the_lifecycle(string status, string? next) =>
        Assert.Equal(next, WarehouseSteps.After(status)?.Status);

    [Fact]
    public void A_step_reads_its_fulfillment_id_and_time_from_its_message()
    {
        var id = Guid.NewGuid();
        var at = new DateTimeOffset(2026, 11, 24, 11, 0, 0, TimeSpan.Zero);
        var packed = WarehouseSteps.ByMessage(typeof(WarehousePacked))!;
        var message = new WarehousePacked { FulfillmentId = id, OccurredAt = at };
        Assert.Equal((id, at), (packed.FulfillmentIdOf(message), packed.OccurredAtOf(message)));
    }
}
