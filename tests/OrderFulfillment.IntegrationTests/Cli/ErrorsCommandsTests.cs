using OrderFulfillment.Contracts;
using System.Text;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>ofctl errors list|replay against real error queues: the reason is shown, a dry run moves nothing, a replay takes effect.</summary>
[Trait("Category", "Integration")]
public sealed class ErrorsCommandsTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task List_shows_each_dead_letter_with_its_reason_and_a_dry_run_moves_nothing()
    {
        await using var system = await SystemUnderTest.StartAsync("ofctl-errors");
        var ofctl = new Ofctl(output, system);
        var unknown = Guid.NewGuid().ToString();
        await ofctl.SucceedAsync("warehouse", "picked", "--fulfillment-id", unknown, "--message-id", "wms-unknown-1");
        await system.Amqp.PublishAsync("delivery.confirmed",
            $$"""{ "orderId": "bad id!", "fulfillmentId": "{{unknown}}", "deliveredAt": "2026-11-26T15:00:00Z" }""", messageId: "carrier-bad-1");
        await system.Amqp.WaitForQueueAsync("fulfillment_error", 1, Wait);
        await system.Amqp.WaitForQueueAsync("order-status_error", 1, Wait);

        var list = await ofctl.SucceedAsync("errors", "list");
        foreach (var expected in new[] { "fulfillment_error", "order-status_error", "UnknownFulfillmentException", "InvalidMessageException",
                     $"Unknown fulfillmentId {unknown}", "orderId 'bad id!' must be 1 to 64 characters",
                     // Every endpoint's error queue is declared at start: order-status, fulfillment, fulfillment-order-events, fulfillment-announcements.
                     "2 dead-lettered message(s) in 4 error queue(s)" })
        {
            Assert.Contains(expected, list.Output);
        }

        // An error queue that no dead letter has created yet holds none: 0, not an error.
        var notYet = await ofctl.SucceedAsync("errors", "list", "--queue", "fulfillment-order-events_error");
        Assert.Contains("0 dead-lettered message(s) in 1 error queue(s)", notYet.Output);

        var verbose = await ofctl.SucceedAsync("errors", "list", "--queue", "fulfillment_error", "--verbose");
        Assert.Contains("wms-unknown-1", verbose.Output);
        Assert.Contains("warehouse.picked", verbose.Output);
        Assert.Contains(unknown, verbose.Output);
        Assert.DoesNotContain("order-status_error", verbose.Output);

        var dryRun = await ofctl.SucceedAsync("errors", "replay", "--queue", "fulfillment_error", "--all", "--dry-run");
        Assert.Contains("Dry run: nothing was moved", dryRun.Output);
        Assert.Contains("would fail", dryRun.Output);
        Assert.Contains("unknown fulfillment", dryRun.Output);
        var invalid = await ofctl.SucceedAsync("errors", "replay", "--queue", "order-status_error", "--message-id", "carrier-bad-1", "--dry-run");
        Assert.Contains("the message itself is invalid", invalid.Output);
        Assert.Equal(1u, await system.Amqp.MessageCountAsync("fulfillment_error"));
        Assert.Equal(1u, await system.Amqp.MessageCountAsync("order-status_error"));

        var missing = await ofctl.RunAsync("errors", "replay", "--queue", "fulfillment_error", "--message-id", "no-such-message");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no message with id no-such-message", missing.Error);
        Assert.Equal(1u, await system.Amqp.MessageCountAsync("fulfillment_error"));

        // Replayed as it is, the invalid delivery fails again: back in the error queue, counted, with fresh fault headers.
        var replay = await ofctl.SucceedAsync("errors", "replay", "--queue", "order-status_error", "--message-id", "carrier-bad-1");
        Assert.Contains("replayed", replay.Output);
        await system.Amqp.WaitForQueueAsync("order-status_error", 1, Wait);
        var again = await system.Amqp.GetAsync("order-status_error");
        var headers = again!.BasicProperties.Headers!;
        Assert.Equal("carrier-bad-1", again.BasicProperties.MessageId);
        Assert.Equal(1, Convert.ToInt32(headers["OF-Replay-Count"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("delivery.confirmed", Encoding.UTF8.GetString((byte[])headers["OF-Original-Exchange"]!));
        Assert.EndsWith("InvalidMessageException", Encoding.UTF8.GetString((byte[])headers["MT-Fault-ExceptionType"]!));
    }

    [Fact]
    public async Task Replaying_a_step_that_came_before_its_fulfillment_existed_moves_the_fulfillment_on()
    {
        await using var system = await SystemUnderTest.StartAsync("ofctl-replay");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        var ofctl = new Ofctl(output, system);
        // Fulfillment ids are derived from order and warehouse, so the WMS step can name a fulfillment before it exists.
        var early = DeterministicId.ForFulfillment("ORD-CLI-R1", "WH-EAST").ToString();
        await ofctl.SucceedAsync("warehouse", "picking-started", "--fulfillment-id", early, "--message-id", "wms-early-1");
        await system.Amqp.WaitForQueueAsync("fulfillment_error", 1, Wait);

        await ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-CLI-R1", "--line", "SKU-1:1:WH-EAST");
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == early && x.Text("status") == "planning"), Wait, "planning");

        var dryRun = await ofctl.SucceedAsync("errors", "replay", "--queue", "fulfillment_error", "--all", "--dry-run");
        Assert.Contains("applied", dryRun.Output);
        Assert.Contains("planning → picking", dryRun.Output);
        Assert.Equal(1u, await system.Amqp.MessageCountAsync("fulfillment_error"));

        var replay = await ofctl.SucceedAsync("errors", "replay", "--queue", "fulfillment_error", "--all");

        Assert.Contains("wms-early-1", replay.Output);
        Assert.Contains("replayed", replay.Output);
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == early && x.Text("status") == "picking"), Wait, "picking after the replay");
        Assert.Equal(0u, await system.Amqp.MessageCountAsync("fulfillment_error"));
        var show = await ofctl.SucceedAsync("order", "show", "ORD-CLI-R1");
        Assert.Contains("picking", show.Output);

        var duplicate = await ofctl.SucceedAsync("errors", "replay", "--queue", "fulfillment_error", "--all", "--dry-run");
        Assert.Contains("no message selected", duplicate.Output);
    }

    [Fact]
    public async Task Replay_by_order_takes_that_orders_messages_from_every_error_queue_and_leaves_the_rest()
    {
        await using var system = await SystemUnderTest.StartAsync("ofctl-byorder");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        var ofctl = new Ofctl(output, system);
        var early = DeterministicId.ForFulfillment("ORD-CLI-R2", "WH-EAST").ToString();
        await ofctl.SucceedAsync("warehouse", "packed", "--fulfillment-id", early, "--message-id", "wms-early-2");
        await ofctl.SucceedAsync("warehouse", "picked", "--fulfillment-id", Guid.NewGuid().ToString(), "--message-id", "wms-stray-1");
        await system.Amqp.WaitForQueueAsync("fulfillment_error", 2, Wait);
        await ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-CLI-R2", "--line", "SKU-1:1:WH-EAST");
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == early && x.Text("status") == "planning"), Wait, "planning");

        var replay = await ofctl.SucceedAsync("errors", "replay", "--order-id", "ORD-CLI-R2");

        Assert.Contains("wms-early-2", replay.Output);
        Assert.DoesNotContain("wms-stray-1", replay.Output);
        await events.WaitForAsync(e => e.Any(x => x.Text("fulfillmentId") == early && x.Text("status") == "packed"), Wait, "packed after the replay");
        Assert.Equal(1u, await system.Amqp.MessageCountAsync("fulfillment_error"));

        var nothingLeft = await ofctl.RunAsync("errors", "replay", "--order-id", "ORD-CLI-R2");
        Assert.Equal(1, nothingLeft.ExitCode);
        Assert.Contains("no dead-lettered message of order ORD-CLI-R2", nothingLeft.Error);
    }
}
