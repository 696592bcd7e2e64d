using OrderFulfillment.Contracts;

namespace OrderFulfillment.FulfillmentService.Tests.Contracts;

/// <summary>The contract's field rules (docs/messages.md), on messages as a producer would send them.</summary>
public sealed class ContractValidatorTests
{
    static readonly DateTimeOffset At = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    static OrderConfirmed Confirmed(string orderId = "ORD-1", params OrderLine[] lines) => new()
    {
        OrderId = orderId,
        ConfirmedAt = At,
        Lines = lines.Length > 0 ? lines : [new OrderLine { Sku = "SKU-1", Quantity = 2, WarehouseId = "WH-EAST" }],
    };

    [Fact]
    public void A_valid_order_has_no_errors() => Assert.Empty(ContractValidator.Validate(Confirmed()));

    [Theory]
    [InlineData("", "orderId is required")]
    [InlineData("ORD 1", "orderId 'ORD 1' must be")]
    public void An_order_id_outside_the_pattern_is_named(string orderId, string error) =>
        Assert.StartsWith(error, Assert.Single(ContractValidator.Validate(Confirmed(orderId))), StringComparison.Ordinal);

    [Fact]
    public void An_order_without_lines_is_invalid() =>
        Assert.Equal("lines must hold at least one line", Assert.Single(ContractValidator.Validate(Confirmed() with { Lines = [] })));

    [Theory]
    [InlineData(0, "lines[0].quantity must be 1 or more (was 0)")]
    [InlineData(ContractValidator.MaxQuantity + 1, "lines[0].quantity must be at most 1000000 (was 1000001)")]
    public void A_quantity_out_of_range_is_named_with_its_line(int quantity, string error) =>
        Assert.Equal(error, Assert.Single(ContractValidator.Validate(Confirmed("ORD-1", new OrderLine { Sku = "SKU-1", Quantity = quantity }))));

    [Fact]
    public void A_control_character_in_a_text_field_is_refused() =>
        Assert.Contains("control characters", Assert.Single(ContractValidator.Validate(
            Confirmed("ORD-1", new OrderLine { Sku = "SKU\n1", Quantity = 1 }))), StringComparison.Ordinal);

    public static TheoryData<string> StepExchanges() => [.. WarehouseSteps.All.Select(step => step.Exchange)];

    [Theory]
    [MemberData(nameof(StepExchanges))]
    public void Every_warehouse_step_needs_a_fulfillment_id_and_a_time(string exchange)
    {
        var step = WarehouseSteps.ByExchange(exchange)!;
        var message = Activator.CreateInstance(step.Message)!;
        var errors = ContractValidator.Validate(message);
        Assert.Contains("fulfillmentId is required", errors);
        Assert.Contains("occurredAt is required", errors);
    }

    [Fact]
    public void A_shipment_needs_its_carrier_and_tracking_number()
    {
        var errors = ContractValidator.Validate(new WarehouseShipped { FulfillmentId = Guid.NewGuid(), OccurredAt = At, Carrier = "", TrackingNumber = "1Z" });
        Assert.Equal("carrier is required", Assert.Single(errors));
    }

    [Fact]
    public void A_fulfillment_status_outside_the_contract_is_named()
    {
        var change = new FulfillmentStatusChanged
        {
            FulfillmentId = Guid.NewGuid(),
            OrderId = "ORD-1",
            WarehouseId = "WH-EAST",
            Status = "lost",
            ChangedAt = At,
            Sequence = 0,
            Lines = [],
        };
        Assert.Equal(["status 'lost' is not a fulfillment status", "sequence must be 1 or more"], ContractValidator.Validate(change));
    }
}
