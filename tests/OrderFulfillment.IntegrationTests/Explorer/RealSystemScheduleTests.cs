using OrderFulfillment.Contracts;
using System.Text;
using OrderFulfillment.TestSupport;
using OrderFulfillment.TestSupport.Schedules;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Explorer;

/// <summary>
/// The schedule checker against the real system: seeded random schedules published over RabbitMQ to both running
/// services, checked on what a plain AMQP consumer observes and on what reached the error queues. The services run with
/// a zero hold window (a step ahead of its turn is applied at once), as the model without holds says: a real window
/// ends on the clock, which a schedule cannot place; the schedule explorer checks holds, with the window's end as an event.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RealSystemScheduleTests(ITestOutputHelper output)
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    static readonly string[] OrderRank = ["confirmed", "processing", "partially_shipped", "shipped", "partially_delivered", "delivered"];

    [Fact]
    public async Task A_sample_of_random_schedules_keeps_the_contract_over_RabbitMQ()
    {
        await using var system = await SystemUnderTest.StartAsync("schedules", e => e["StepHold__Window"] = "00:00:00");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed", "fulfillment.status_changed", "order.cancellation_refused");
        var schedules = Enumerable.Range(7_000, 40).Select(ScheduleGenerator.RandomFromProducers).Where(s => !s.Messages.Skip(1).Any(m => m.Kind == MessageKind.Confirm)).Take(25).ToList();
        var failures = new List<string>();
        var expectedFaults = new HashSet<string>();
        var messages = 0;

        await Parallel.ForEachAsync(schedules.Select((s, i) => (s, i)), new ParallelOptions { MaxDegreeOfParallelism = 5 }, async (item, token) =>
        {
            var (schedule, index) = item;
            var orderId = $"RS{index:D3}-{Guid.NewGuid():N}"[..20];
            var model = new ContractModel(holdsSteps: false);
            for (var i = 0; i < schedule.Messages.Count; i++)
            {
                var message = schedule.Messages[i];
                var messageId = $"{orderId}-{i}";
                var faults = model.Apply(message, schedule.Fulfillments);
                if (faults)
                    lock (expectedFaults)
                        expectedFaults.Add(messageId);
                var before = Expected(model);
                await system.Amqp.PublishAsync(message.Exchange, Body(message, orderId, schedule.Fulfillments), messageId);
                Interlocked.Increment(ref messages);

                // The fulfillment service's announcements follow from the producers' order alone: wait for them. A
                // message with no announced effect is awaited by its inbox row (or its dead-letter alert), so that the next
                // one cannot overtake it.
                var expected = Expected(model);
                await events.WaitForAsync(e => Observed(e, orderId) >= expected, Wait, $"{orderId} after message {i}");
                if (expected == before)
                    await (faults ? system.UntilDeadLetteredAsync(messageId, Wait) : system.UntilConsumedAsync(messageId, Wait));
            }

            // The order service hears of fulfillments and deliveries in whatever order they reach it: its final status
            // is the model's, and on the way it only moves forward.
            var final = model.OrderStatus;
            await events.WaitForAsync(e => e.LastOrDefault(x => x.Exchange == "order.status_changed" && x.Text("orderId") == orderId)?.Text("status") == final,
                Wait, $"{orderId} {final}");

            var violations = Check(events.Events.Where(e => e.Text("orderId") == orderId).ToList(), model, orderId, schedule.Fulfillments);
            if (violations.Count > 0)
                lock (failures)
                    failures.Add($"{schedule.Origin} ({orderId}): {string.Join("; ", violations)}\n  reproduce: {schedule.Reproduction()}");
        });

        // What the contract says to fault is in an error queue; nothing else is.
        await system.UntilIdleAsync(Wait);
        var faulted = new HashSet<string>();
        foreach (var queue in new[] { "order-status_error", "fulfillment_error", "fulfillment-order-events_error" })
            while (await system.Amqp.GetAsync(queue) is { } dead)
                faulted.Add(dead.BasicProperties.MessageId ?? "");
        if (!faulted.SetEquals(expectedFaults))
            failures.Add($"dead-lettered [{string.Join(", ", faulted.Order())}], model [{string.Join(", ", expectedFaults.Order())}]");

        output.WriteLine($"{schedules.Count} schedules, {messages} messages over RabbitMQ, {expectedFaults.Count} dead-lettered as the model says");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static int Expected(ContractModel model) => model.Fulfillments.Sum(f => f.Announced.Count) + model.Refusals;

    static int Observed(IReadOnlyList<ObservedEvent> events, string orderId) =>
        events.Count(e => e.Text("orderId") == orderId && e.Exchange != "order.status_changed");

    static List<string> Check(List<ObservedEvent> events, ContractModel model, string orderId, int fulfillments)
    {
        var violations = new List<string>();
        var orderStatuses = events.Where(e => e.Exchange == "order.status_changed").Select(e => e.Text("status")!).ToList();
        if (orderStatuses.Count == 0 || orderStatuses[^1] != model.OrderStatus || orderStatuses[0] != "confirmed")
            violations.Add($"order statuses [{string.Join(", ", orderStatuses)}], model ends {model.OrderStatus}");
        var ranks = orderStatuses.Select(s => s == "cancelled" ? int.MaxValue : Array.IndexOf(OrderRank, s)).ToList();
        if (ranks.Zip(ranks.Skip(1)).Any(pair => pair.Second <= pair.First))
            violations.Add($"order statuses [{string.Join(", ", orderStatuses)}] regress or repeat");
        var previous = events.Where(e => e.Exchange == "order.status_changed").Select(e => e.Text("previousStatus")).ToList();
        if (!previous.SequenceEqual([null, .. orderStatuses.SkipLast(1)]))
            violations.Add("previousStatus does not chain");
        for (var f = 0; f < fulfillments; f++)
        {
            var id = DeterministicId.ForFulfillment(orderId, Schedule.Warehouses[f]).ToString();
            var announced = events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("fulfillmentId") == id)
                .OrderBy(e => e.Number("sequence")).ToList();
            if (!announced.Select(e => e.Number("sequence")).SequenceEqual(Enumerable.Range(1, announced.Count)))
                violations.Add($"fulfillment {f}: sequences not contiguous from 1");
            if (!announced.Select(e => e.Text("status")).SequenceEqual(model.Fulfillments[f].Announced))
                violations.Add($"fulfillment {f}: [{string.Join(", ", announced.Select(e => e.Text("status")))}], model [{string.Join(", ", model.Fulfillments[f].Announced)}]");
        }

        var refusals = events.Count(e => e.Exchange == "order.cancellation_refused");
        if (refusals != model.Refusals)
            violations.Add($"{refusals} refusals, model {model.Refusals}");
        return violations;
    }

    static string Body(ScheduleMessage message, string orderId, int fulfillments)
    {
        var at = "2026-11-24T10:00:00Z";
        string Fulfillment() => DeterministicId.ForFulfillment(orderId, Schedule.Warehouses[message.Fulfillment]).ToString();
        return message.Kind switch
        {
            MessageKind.Confirm => $$"""{ "orderId": "{{orderId}}", "confirmedAt": "{{at}}", "lines": [ {{string.Join(", ",
                Schedule.Warehouses.Take(fulfillments).Select(w => $$"""{ "sku": "SKU-{{w}}", "quantity": 1, "warehouseId": "{{w}}" }"""))}} ] }""",
            MessageKind.Deliver => $$"""{ "orderId": "{{orderId}}", "fulfillmentId": "{{Fulfillment()}}", "deliveredAt": "{{at}}", "carrier": "UPS", "trackingNumber": "1Z" }""",
            MessageKind.Cancel => $$"""{ "orderId": "{{orderId}}", "reason": "explorer", "requestedAt": "{{at}}" }""",
            _ when message.Step == "shipped" => $$"""{ "fulfillmentId": "{{Fulfillment()}}", "occurredAt": "{{at}}", "carrier": "UPS", "trackingNumber": "1Z" }""",
            _ when message.Step == "cancelled" => $$"""{ "fulfillmentId": "{{Fulfillment()}}", "occurredAt": "{{at}}", "reason": "explorer" }""",
            _ => $$"""{ "fulfillmentId": "{{Fulfillment()}}", "occurredAt": "{{at}}" }""",
        };
    }
}
