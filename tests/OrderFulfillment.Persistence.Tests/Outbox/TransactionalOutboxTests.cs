using Microsoft.EntityFrameworkCore;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.Persistence.Tests.Outbox;

[Trait("Category", "Integration")]
public sealed class TransactionalOutboxTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_same_message_id_delivered_twice_takes_effect_once()
    {
        await using var bus = await CounterBus.StartAsync("inbox");
        var counter = Guid.NewGuid();
        var messageId = Guid.NewGuid();

        await bus.SendAsync(new Increment(counter), messageId);
        await bus.SendAsync(new Increment(counter), messageId);
        await bus.SendAsync(new Increment(counter));

        await bus.Events.WaitForAsync(e => e.Count == 2, Wait, "two events");
        var events = await SentinelAsync(bus, counter, 3);
        Assert.Equal([1, 2, 3], events.Select(e => e.Number("count")));
        Assert.Equal(3, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
    }

    [Fact]
    public async Task Many_concurrent_deliveries_of_one_message_id_take_effect_once()
    {
        await using var bus = await CounterBus.StartAsync("inbox-concurrent");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 1, Wait, "the saga created");

        // 16 consumers at once: each delivery reads count 1, all but one find the id in the inbox when they save.
        var messageId = Guid.NewGuid();
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => bus.SendAsync(new Increment(counter), messageId)));
        await bus.SendAsync(new Increment(counter));

        await bus.Events.WaitForAsync(e => e.Count == 3, Wait, "the redelivered increment once, then the last one");
        var events = await SentinelAsync(bus, counter, 4);
        Assert.Equal([1, 2, 3, 4], events.Select(e => e.Number("count")));
        Assert.Equal(4, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
        Assert.Equal(0u, await bus.Amqp.MessageCountAsync("counter_error"));
    }

    [Fact]
    public async Task A_redelivery_that_would_now_fault_is_recognised_as_consumed_not_sent_to_the_error_queue()
    {
        await using var bus = await CounterBus.StartAsync("inbox-fault");
        var counter = Guid.NewGuid();
        var messageId = Guid.NewGuid();
        await bus.SendAsync(new Start(counter), messageId);
        await bus.Events.WaitForAsync(e => e.Count == 1, Wait, "the saga started");

        // Start is handled only before the counter exists: consumed again, it would fault as an unhandled event.
        await bus.SendAsync(new Start(counter), messageId);
        await bus.SendAsync(new Start(counter));
        await bus.Amqp.WaitForQueueAsync("counter_error", 1, Wait);
        var events = await SentinelAsync(bus, counter, 1);

        Assert.Equal(1u, await bus.Amqp.MessageCountAsync("counter_error"));
        Assert.Equal([0, 1], events.Select(e => e.Number("count")));
    }

    [Fact]
    public async Task A_consumer_that_fails_after_publishing_publishes_nothing_and_changes_nothing()
    {
        await using var bus = await CounterBus.StartAsync("rollback");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 1, Wait, "the saga created");

        await bus.SendAsync(new IncrementThenFail(counter));
        await bus.SendAsync(new Increment(counter));

        var events = await bus.Events.WaitForAsync(e => e.Count == 2, Wait, "the second increment");
        await bus.Amqp.WaitForQueueAsync("counter_error", 1, Wait);
        Assert.Equal([1, 2], events.Select(e => e.Number("count")));
        Assert.Equal(0, await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Outbox.OutboxMessage>().CountAsync(m => m.DeliveredAt == null)));
    }

    [Fact]
    public async Task A_crash_between_commit_and_delivery_loses_nothing()
    {
        await using var bus = await CounterBus.StartAsync("aftercommit", commitObserver: new FailFirstCommits(3));
        var counter = Guid.NewGuid();

        for (var i = 0; i < 5; i++)
            await bus.SendAsync(new Increment(counter));

        await bus.Events.WaitForAsync(e => e.Count == 5, Wait, "five events");
        var events = await SentinelAsync(bus, counter, 6);
        Assert.Equal(Enumerable.Range(1, 6), events.Select(e => e.Number("count")).Order());
    }

    [Fact]
    public async Task Delivered_rows_are_deleted_as_they_are_delivered_and_inbox_rows_stay_for_the_window()
    {
        await using var bus = await CounterBus.StartAsync("delete-on-delivery");
        var counter = Guid.NewGuid();
        for (var i = 0; i < 10; i++)
            await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 10, Wait, "ten events");

        var deadline = DateTime.UtcNow + Wait;
        while (await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Outbox.OutboxMessage>().CountAsync()) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "delivery should delete the delivered outbox rows");
            await Task.Delay(100); // the interval of a poll of the outbox table, not a quiet period
        }

        Assert.Equal(10, await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Inbox.InboxMessage>().CountAsync()));
    }

    [Fact]
    public async Task Cleanup_removes_delivered_rows_after_their_retention_and_inbox_rows_after_the_window()
    {
        await using var bus = await CounterBus.StartAsync("cleanup", o =>
        {
            o.DeliveredRetention = TimeSpan.FromSeconds(5);
            o.InboxRetention = TimeSpan.Zero;
            o.CleanupInterval = TimeSpan.FromMilliseconds(200);
        });
        var counter = Guid.NewGuid();
        for (var i = 0; i < 10; i++)
            await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 10, Wait, "ten events");

        // Kept, marked delivered, for their retention.
        var deadline = DateTime.UtcNow + Wait;
        while (await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Outbox.OutboxMessage>().CountAsync(m => m.DeliveredAt != null)) < 10)
        {
            Assert.True(DateTime.UtcNow < deadline, "delivery should mark the ten rows delivered and keep them");
            await Task.Delay(100); // the interval of a poll of the outbox table, not a quiet period
        }

        while (await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Outbox.OutboxMessage>().CountAsync()) > 0
               || await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Inbox.InboxMessage>().CountAsync()) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "cleanup should empty the outbox and inbox tables");
            await Task.Delay(100); // the interval of a poll of the outbox and inbox tables, not a quiet period
        }
    }

    /// <summary>
    /// Instead of waiting out a quiet period: one more increment of the counter, sent after the messages under test, and
    /// the events seen once its own (count <paramref name="count"/> or more) has come. The outbox delivers one counter's
    /// events in the order they committed, so an extra event that the messages before it caused comes before it.
    /// </summary>
    static async Task<IReadOnlyList<ObservedEvent>> SentinelAsync(CounterBus bus, Guid counter, int count)
    {
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Any(x => x.Number("count") >= count), Wait, "the sentinel's event");
        return bus.Events.Events;
    }

    /// <summary>The transaction has committed; failing here stands for a process dying before it could publish.</summary>
    sealed class FailFirstCommits(int count) : IOutboxCommitObserver
    {
        int _commits;

        public void OnCommitted()
        {
            if (Interlocked.Increment(ref _commits) <= count)
                throw new InvalidOperationException("crash after commit");
        }
    }
}
