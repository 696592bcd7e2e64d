using Microsoft.EntityFrameworkCore;

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
        await Task.Delay(1000);
        Assert.Equal(2, bus.Events.Events.Count);
        Assert.Equal(2, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
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
        await Task.Delay(1000);
        Assert.Equal([1, 2, 3], bus.Events.Events.Select(e => e.Number("count")));
        Assert.Equal(3, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
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
        await Task.Delay(1000);

        Assert.Equal(1u, await bus.Amqp.MessageCountAsync("counter_error"));
        Assert.Single(bus.Events.Events);
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

        var events = await bus.Events.WaitForAsync(e => e.Count == 5, Wait, "five events");
        await Task.Delay(500);
        Assert.Equal(Enumerable.Range(1, 5), events.Select(e => e.Number("count")).Order());
        Assert.Equal(5, bus.Events.Events.Count);
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
            await Task.Delay(100);
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
            await Task.Delay(100);
        }

        while (await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Outbox.OutboxMessage>().CountAsync()) > 0
               || await bus.QueryAsync(db => db.Set<OrderFulfillment.Persistence.Inbox.InboxMessage>().CountAsync()) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "cleanup should empty the outbox and inbox tables");
            await Task.Delay(100);
        }
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
