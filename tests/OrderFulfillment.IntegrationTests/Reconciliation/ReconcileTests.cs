using System.Net.Http.Json;
using System.Text.Json;
using OrderFulfillment.IntegrationTests.Cli;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Reconciliation;

/// <summary>
/// A fulfillment.status_changed lost on its way (purged from <c>order-status</c> while the order service is down):
/// <c>ofctl reconcile --dry-run</c> flags the drift, <c>ofctl reconcile</c> has it announced again, the order catches
/// up, and a second sweep finds nothing to do.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ReconcileTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lost_status_change_is_flagged_repaired_and_then_nothing_is_left_to_do()
    {
        await using var system = await SystemUnderTest.StartAsync("reconcile");
        var ofctl = new Ofctl(output, system);
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        await ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-REC-1", "--line", "SKU-1:2:WH-EAST", "--line", "SKU-2:1:WH-WEST");
        var planned = await events.WaitForAsync(e => e.Count(x => x.Text("orderId") == "ORD-REC-1" && x.Text("status") == "planning") == 2, Wait,
            "two planning fulfillments");
        var east = planned.Single(x => x.Text("orderId") == "ORD-REC-1" && x.Text("warehouseId") == "WH-EAST" && x.Text("status") == "planning")
            .Text("fulfillmentId")!;
        await WaitForTrackedAsync(system, "ORD-REC-1", east, "planning", 2);

        // The order service is down while picking starts; its fulfillment.status_changed is purged from order-status.
        await system.Orders.KillAsync();
        await ofctl.SucceedAsync("warehouse", "picking-started", "--fulfillment-id", east);
        await system.Amqp.WaitForQueueAsync("order-status", 1, Wait);
        var purged = await system.Amqp.EmptyAsync("order-status");
        output.WriteLine($"purged {purged} message(s) from order-status with the order service stopped");
        await system.Orders.StartAsync();

        var dryRun = await ofctl.RunAsync("reconcile", "--dry-run");
        output.WriteLine("--- ofctl reconcile --dry-run\n" + dryRun.Output);
        Assert.Equal(1, dryRun.ExitCode);
        Assert.Contains($"drift: order ORD-REC-1 fulfillment {east}: order service has planning (sequence 2), fulfillment service has picking (sequence 3)",
            dryRun.Output);
        Assert.Contains("1 difference(s), dry run: nothing announced", dryRun.Output);

        var repair = await ofctl.SucceedAsync("reconcile");
        output.WriteLine("--- ofctl reconcile\n" + repair.Output);
        Assert.Contains($"repair: asked the fulfillment service to announce {east} again (picking, sequence 3)", repair.Output);
        var order = await WaitForTrackedAsync(system, "ORD-REC-1", east, "picking", 3);
        Assert.Equal("processing", order.GetProperty("status").GetString());

        // Again: nothing to do; and a repeated announcement is taken for the duplicate it is.
        var again = await ofctl.RunAsync("reconcile", "--dry-run");
        output.WriteLine("--- ofctl reconcile --dry-run (again)\n" + again.Output);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("0 difference(s)", again.Output);
        // A service's line starts with its time: "2026-12-02T12:44:37.135Z fail: …".
        Assert.DoesNotContain(system.Fulfillments.Log.Concat(system.Orders.Log), line => line.Contains("Z fail: ", StringComparison.Ordinal));
    }

    static async Task<JsonElement> WaitForTrackedAsync(SystemUnderTest system, string orderId, string fulfillmentId, string status, int sequence)
    {
        using var http = system.Orders.Http();
        JsonElement last = default;
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync($"orders/{orderId}");
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (last.GetProperty("fulfillments").EnumerateArray().Any(f => f.GetProperty("fulfillmentId").GetString() == fulfillmentId
                        && f.GetProperty("status").GetString() == status && f.GetProperty("sequence").GetInt32() == sequence))
                    return last;
            }

            await Task.Delay(200); // the interval of a poll of the status API, not a quiet period
        }

        throw new TimeoutException($"order {orderId} never tracked {fulfillmentId} at {status} ({sequence}): {last}");
    }
}
