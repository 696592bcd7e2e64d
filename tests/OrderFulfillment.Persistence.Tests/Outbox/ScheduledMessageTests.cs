using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Persistence.Outbox;

namespace OrderFulfillment.Persistence.Tests.Outbox;

/// <summary>A saga's Schedule and Unschedule through the outbox's scheduler, on the real servers.</summary>
[Trait("Category", "Integration")]
public sealed class ScheduledMessageTests
{
    const string Reminded = "OrderFulfillment.Persistence.Tests:Reminded";
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_scheduled_message_is_delivered_once_when_it_is_due()
    {
        await using var bus = await CounterBus.StartAsync("schedule");
        var counter = Guid.NewGuid();
        var sent = DateTime.UtcNow;

        await bus.SendAsync(new StartReminder(counter, 2_000));
        await WaitForScheduledRowsAsync(bus, 1);
        await bus.Events.WaitForAsync(e => e.Any(x => x.Exchange == Reminded), Wait, "the reminder");

        Assert.True(DateTime.UtcNow - sent >= TimeSpan.FromSeconds(2), "the reminder came before it was due");
        // Nothing more may come: no reminder is left scheduled, and a second one delivered would come before the sentinel.
        Assert.Equal(0, await bus.QueryAsync(db => db.Set<ScheduledOutboxMessage>().CountAsync()));
        await SentinelAsync(bus, counter);
        Assert.Single(bus.Events.Events, e => e.Exchange == Reminded);
        Assert.Null(await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.ReminderTokenId).SingleAsync()));
    }

    [Fact]
    public async Task An_unscheduled_message_is_never_delivered()
    {
        await using var bus = await CounterBus.StartAsync("unschedule");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new StartReminder(counter, 2_000));
        await WaitForScheduledRowsAsync(bus, 1);

        await bus.SendAsync(new StopReminder(counter));
        await WaitForScheduledRowsAsync(bus, 0);

        // The sentinel: another counter's reminder, scheduled after it with the same delay. Due rows are promoted in the
        // order they come due, so by the time it arrives the cancelled one would have been delivered.
        var sentinel = Guid.NewGuid();
        await bus.SendAsync(new StartReminder(sentinel, 2_000));
        await bus.Events.WaitForAsync(e => e.Any(x => x.Exchange == Reminded), Wait, "the sentinel's reminder");
        Assert.Equal([sentinel], bus.Events.Events.Where(e => e.Exchange == Reminded).Select(e => Guid.Parse(e.Text("counterId")!)));
        Assert.Equal(0, await bus.QueryAsync(db => db.Set<OutboxMessage>().CountAsync(m => m.MessageType.EndsWith(":Remind"))));
    }

    [Fact]
    public async Task A_rescheduled_message_replaces_the_earlier_one()
    {
        await using var bus = await CounterBus.StartAsync("reschedule");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new StartReminder(counter, 60_000));
        await WaitForScheduledRowsAsync(bus, 1);
        await bus.SendAsync(new StartReminder(counter, 1_000));

        await bus.Events.WaitForAsync(e => e.Any(x => x.Exchange == Reminded), Wait, "the second reminder");
        // The first one is gone, not merely later: nothing is left scheduled.
        Assert.Equal(0, await bus.QueryAsync(db => db.Set<ScheduledOutboxMessage>().CountAsync()));
        await SentinelAsync(bus, counter);
        Assert.Single(bus.Events.Events, e => e.Exchange == Reminded);
    }

    [Fact]
    public async Task Two_instances_deliver_each_due_message_once()
    {
        // Delivered rows are kept, so that the outbox shows how often each reminder was promoted.
        await using var first = await CounterBus.StartAsync("schedule-two", KeepDelivered);
        await using var second = await first.StartAnotherInstanceAsync(KeepDelivered);
        var counters = Enumerable.Range(0, 100).Select(_ => Guid.NewGuid()).ToArray();

        // Half the reminders are scheduled by each instance; both instances' delivery services look for due rows.
        await Task.WhenAll(counters.Select((c, i) => (i % 2 == 0 ? first : second).SendAsync(new StartReminder(c, 1_500))));
        await first.Events.WaitForAsync(e => e.Count(x => x.Exchange == Reminded) >= counters.Length, Wait, "every reminder");

        // The sentinel: one more reminder, due after all of them; a second promotion of any would be delivered before it.
        var sentinel = Guid.NewGuid();
        await second.SendAsync(new StartReminder(sentinel, 1_500));
        await first.Events.WaitForAsync(e => e.Any(x => x.Exchange == Reminded && x.Text("counterId") == sentinel.ToString()), Wait, "the sentinel's reminder");
        var reminded = first.Events.Events.Where(e => e.Exchange == Reminded).Select(e => Guid.Parse(e.Text("counterId")!)).ToList();
        Assert.Equal(counters.Append(sentinel).Order(), reminded.Order());
        var promoted = await first.QueryAsync(db => db.Set<OutboxMessage>().Where(m => m.MessageType.EndsWith(":Remind"))
            .GroupBy(m => m.MessageId).Select(g => g.Count()).ToListAsync());
        Assert.Equal(counters.Length + 1, promoted.Count);
        Assert.All(promoted, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task Concurrent_promotions_move_each_due_row_into_the_outbox_once()
    {
        await using var bus = await CounterBus.StartAsync("promote-concurrent", KeepDelivered);
        var counters = Enumerable.Range(0, 300).Select(_ => Guid.NewGuid()).ToArray();
        // Scheduled far ahead, then made due at once, so that three promoters find all of them together.
        await Task.WhenAll(counters.Select(c => bus.SendAsync(new StartReminder(c, 600_000))));
        await WaitForScheduledRowsAsync(bus, counters.Length);
        await bus.QueryAsync(db => db.Database.ExecuteSqlRawAsync($"UPDATE {TransactionalOutboxTables.OutboxScheduledMessage} SET deliver_at = now() - interval '1 second'"));

        var promoters = Enumerable.Range(0, 3)
            .Select(_ => ActivatorUtilities.CreateInstance<OutboxDeliveryService<CounterDbContext>>(bus.Services)).ToArray();
        var moved = await Task.WhenAll(promoters.Select(async promoter =>
        {
            var total = 0;
            for (var round = 0; round < 20; round++)
            {
                var promoted = await promoter.PromoteDueAsync(CancellationToken.None);
                total += promoted;
                if (promoted == 0)
                    await Task.Delay(300); // a promoter's pace between rounds, as delivery's own interval, not a quiet period
            }

            return total;
        }));

        Assert.Equal(0, await bus.QueryAsync(db => db.Set<ScheduledOutboxMessage>().CountAsync()));
        await bus.Events.WaitForAsync(e => e.Count(x => x.Exchange == Reminded) >= counters.Length, Wait, "every reminder");
        var promoted = await bus.QueryAsync(db => db.Set<OutboxMessage>().Where(m => m.MessageType.EndsWith(":Remind")).CountAsync());
        Assert.Equal(counters.Length, promoted);
        Assert.True(moved.Sum() <= counters.Length, $"promoters moved {moved.Sum()} rows of {counters.Length}");
    }

    /// <summary>
    /// Instead of waiting out a quiet period: an increment of the counter, sent after the messages under test, and its
    /// event awaited. The outbox delivers one counter's messages in the order they committed.
    /// </summary>
    static async Task SentinelAsync(CounterBus bus, Guid counter)
    {
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Any(x => x.Exchange != Reminded && x.Text("counterId") == counter.ToString()), Wait, "the sentinel's event");
    }

    static void KeepDelivered(TransactionalOutboxOptions options) => options.DeliveredRetention = TimeSpan.FromHours(1);

    static async Task WaitForScheduledRowsAsync(CounterBus bus, int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (await bus.QueryAsync(db => db.Set<ScheduledOutboxMessage>().CountAsync()) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected {count} scheduled rows");
            await Task.Delay(50); // the interval of a poll for a row count, which has no event to await
        }
    }
}
