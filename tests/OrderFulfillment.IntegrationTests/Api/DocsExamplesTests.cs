using System.Text;
using System.Text.RegularExpressions;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Api;

/// <summary>
/// Every inbound example in docs/messages.md (each marked <c>&lt;!-- example: exchange --&gt;</c>) is published as it
/// stands to the running system: none is rejected as malformed or invalid, and the order they describe is applied.
/// </summary>
[Trait("Category", "Integration")]
public sealed partial class DocsExamplesTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"<!-- example: (?<exchange>[a-z_.]+) -->\s*```json\s*(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Example();

    [Fact]
    public async Task Every_inbound_example_in_the_docs_is_accepted()
    {
        var examples = Example().Matches(await File.ReadAllTextAsync(DocsPath()))
            .ToDictionary(m => m.Groups["exchange"].Value, m => m.Groups["body"].Value);
        Assert.Contains("order.confirmed", examples.Keys);
        Assert.True(examples.Count >= 11, $"expected every inbound exchange to have an example, found {examples.Count}");

        await using var system = await SystemUnderTest.StartAsync("docs");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed");

        // In the order a real order would see them: the lifecycle, delivery, then the late cancellations.
        string[] order =
        [
            "order.confirmed", "warehouse.picking_started", "warehouse.picked", "warehouse.packing_started", "warehouse.packed",
            "warehouse.ready_to_ship", "warehouse.shipped", "warehouse.completed", "delivery.confirmed", "order.cancellation_requested",
            "warehouse.cancelled",
        ];
        foreach (var exchange in order.Where(examples.ContainsKey))
        {
            await system.Amqp.PublishAsync(exchange, examples[exchange], messageId: "docs-" + exchange);
            if (exchange == "order.confirmed")
                await events.WaitForAsync(e => e.Count(x => x.Text("status") == "planning") >= 2, Wait, "the example order planned");
            else
                await Task.Delay(300); // the pace between the documented examples, as a person would send them; not awaited for an effect
        }

        await events.WaitForAsync(e => e.Any(x => x.Exchange == "fulfillment.status_changed" && x.Text("status") == "completed"), Wait,
            "the example fulfillment completed");
        await system.UntilIdleAsync(Wait);

        // Nothing was rejected for its form: only the late warehouse.cancelled (after shipment) may be dead-lettered.
        foreach (var queue in new[] { "order-status_error", "fulfillment_error", "fulfillment-order-events_error" })
            while (await system.Amqp.GetAsync(queue) is { } dead)
            {
                var type = Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["MT-Fault-ExceptionType"]!);
                Assert.True(dead.BasicProperties.MessageId == "docs-warehouse.cancelled" && type.EndsWith("StepRejectedException", StringComparison.Ordinal),
                    $"{dead.BasicProperties.MessageId} dead-lettered: {type}");
            }
    }

    static string DocsPath()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrderFulfillment.sln")))
            directory = directory.Parent;
        return Path.Combine(directory!.FullName, "docs", "messages.md");
    }
}
