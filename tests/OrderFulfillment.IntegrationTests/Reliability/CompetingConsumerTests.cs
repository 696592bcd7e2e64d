using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reliability;

[Trait("Category", "Integration")]
public sealed class CompetingConsumerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_instances_of_each_service_process_a_burst_with_no_lost_update_and_no_duplicate_fulfillment()
    {
        await using var system = await SystemUnderTest.StartAsync("compete");
        var (secondOrders, _) = await system.StartSecondInstancesAsync();
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");
        var burst = new Burst(system, events, 30, "CC" + Guid.NewGuid().ToString("N")[..6]);

        await burst.PublishOrdersAsync();
        await burst.DriveUntilDeliveredAsync(TimeSpan.FromMinutes(4));
        await system.UntilIdleAsync(TimeSpan.FromMinutes(1));

        var report = burst.Check();
        output.WriteLine($"competing consumers: {report}");
        Assert.Empty(report.Problems);
        Assert.Equal(0, report.Regressions);
        Assert.Equal(report.FulfillmentEventsExpected, report.FulfillmentEventsSeen);

        // Both order service instances answer from the one database: every order delivered, with both fulfillments.
        using var http = secondOrders.Http();
        foreach (var orderId in burst.OrderIds.Take(5))
        {
            var order = await http.GetFromJsonAsync<JsonElement>($"orders/{orderId}");
            Assert.Equal("delivered", order.GetProperty("status").GetString());
            Assert.Equal(2, order.GetProperty("fulfillments").GetArrayLength());
        }
    }
}
