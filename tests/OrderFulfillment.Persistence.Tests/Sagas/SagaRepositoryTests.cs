using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Persistence.Inbox;
using OrderFulfillment.Persistence.MessageTransaction;
using OrderFulfillment.Persistence.Outbox;

namespace OrderFulfillment.Persistence.Tests.Sagas;

[Trait("Category", "Integration")]
public sealed class SagaRepositoryTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Concurrent_messages_for_one_saga_all_take_effect_and_its_events_keep_their_order()
    {
        await using var bus = await CounterBus.StartAsync("concurrency");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 1, Wait, "the first event");

        await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => bus.SendAsync(new Increment(counter))));

        var events = await bus.Events.WaitForAsync(e => e.Count == 61, Wait, "61 events");
        Assert.Equal(61, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
        Assert.Equal(Enumerable.Range(1, 61), events.Select(e => e.Number("count")));
    }

    [Fact]
    public async Task A_stale_save_loses_to_a_concurrent_one_with_a_concurrency_conflict()
    {
        await using var bus = await CounterBus.StartAsync("conflict");
        var counter = Guid.NewGuid();
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 1, Wait, "the saga created");

        await bus.QueryAsync(async first =>
        {
            var mine = await first.Counters.SingleAsync(c => c.CorrelationId == counter);
            await bus.QueryAsync(async second =>
            {
                var theirs = await second.Counters.SingleAsync(c => c.CorrelationId == counter);
                theirs.Count = 100;
                return await second.SaveChangesAsync();
            });
            mine.Count = 200;
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => first.SaveChangesAsync());
            return 0;
        });

        Assert.Equal(100, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
    }

    // Inside the outbox a message's rows go with the COMMIT in one batch (RowWrite): all of them are committed, or, when
    // the saga's row changed since it was loaded, none is and the error names the row.
    [Fact]
    public async Task A_fresh_row_commits_with_the_inbox_row_in_the_batch()
    {
        await using var bus = await CounterBus.StartAsync("rowwrite-fresh");
        var counter = await CreateCounterAsync(bus);
        var inboxRow = NewInboxRow();

        await bus.QueryAsync(async db =>
        {
            var loaded = await db.Counters.AsNoTracking().SingleAsync(c => c.CorrelationId == counter);
            loaded.Count = 7;
            await using var transaction = await db.Database.BeginTransactionAsync();
            await RowWrite.ExecuteAndCommitAsync(db, [RowStatements.For(db, typeof(InboxMessage)).Insert(inboxRow), RowStatements.For(db, typeof(CounterState)).Update(loaded)],
                CancellationToken.None);
            // Committed by the batch: disposing the transaction rolls nothing back.
            return 0;
        });

        Assert.Equal(7, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
        Assert.True(await bus.QueryAsync(db => db.Set<InboxMessage>().AnyAsync(i => i.MessageId == inboxRow.MessageId)));
    }

    [Fact]
    public async Task A_row_changed_since_it_was_loaded_fails_the_batch_and_commits_none_of_it()
    {
        await using var bus = await CounterBus.StartAsync("rowwrite-stale");
        var counter = await CreateCounterAsync(bus);
        var inboxRow = NewInboxRow();

        var failure = await bus.QueryAsync(async db =>
        {
            var loaded = await db.Counters.AsNoTracking().SingleAsync(c => c.CorrelationId == counter);
            // Another transaction changes the row after it was loaded here.
            await bus.QueryAsync(other => other.Counters.Where(c => c.CorrelationId == counter).ExecuteUpdateAsync(s => s.SetProperty(c => c.Count, 100)));
            loaded.Count = 7;
            await using var transaction = await db.Database.BeginTransactionAsync();
            return await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => RowWrite.ExecuteAndCommitAsync(db,
                [RowStatements.For(db, typeof(InboxMessage)).Insert(inboxRow), RowStatements.For(db, typeof(CounterState)).Update(loaded)], CancellationToken.None));
        });

        Assert.Contains(counter.ToString(), failure.Message, StringComparison.Ordinal);
        Assert.Equal(100, await bus.QueryAsync(db => db.Counters.Where(c => c.CorrelationId == counter).Select(c => c.Count).SingleAsync()));
        Assert.False(await bus.QueryAsync(db => db.Set<InboxMessage>().AnyAsync(i => i.MessageId == inboxRow.MessageId)));
    }

    // Inside the outbox a saga is read by RowStatements' own SELECT, not EF Core's query: it must read every column as
    // EF Core does (value converters, nullable columns, the row version, date and time types).
    [Fact]
    public async Task A_row_read_by_its_key_is_the_instance_EF_Core_reads()
    {
        await using var bus = await CounterBus.StartAsync("rowread");
        var counter = await CreateCounterAsync(bus);
        var outboxRow = new OutboxMessage
        {
            MessageId = Guid.NewGuid(),
            OrderingKey = Guid.NewGuid(),
            CorrelationId = Guid.NewGuid(),
            DestinationAddress = new Uri("rabbitmq://localhost/counter"),
            SentTime = new DateTime(2026, 12, 7, 10, 11, 12, DateTimeKind.Utc),
            ExpirationTime = null,
            ContentType = "application/vnd.masstransit+json",
            MessageType = "urn:message:Counter:Increment",
            Body = "{\"counterId\":\"x\"}",
            Headers = null,
            TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        };
        await bus.QueryAsync(db =>
        {
            db.Add(outboxRow);
            return db.SaveChangesAsync();
        });

        var (counterByEf, counterByRow, outboxByEf, outboxByRow, missing) = await bus.QueryAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var sagas = RowStatements.For(db, typeof(CounterState));
            var outbox = RowStatements.For(db, typeof(OutboxMessage));
            return (await db.Counters.AsNoTracking().SingleAsync(c => c.CorrelationId == counter),
                (CounterState?)await sagas.LoadAsync(db, counter, CancellationToken.None),
                await db.Set<OutboxMessage>().AsNoTracking().SingleAsync(m => m.SequenceNumber == outboxRow.SequenceNumber),
                (OutboxMessage?)await outbox.LoadAsync(db, outboxRow.SequenceNumber, CancellationToken.None),
                await sagas.LoadAsync(db, Guid.NewGuid(), CancellationToken.None));
        });

        Assert.NotNull(counterByRow);
        Assert.Equal((counterByEf.CorrelationId, counterByEf.CurrentState, counterByEf.Count, counterByEf.ReminderTokenId, counterByEf.Version),
            (counterByRow.CorrelationId, counterByRow.CurrentState, counterByRow.Count, counterByRow.ReminderTokenId, counterByRow.Version));
        Assert.NotEqual(0u, counterByRow.Version);
        Assert.NotNull(outboxByRow);
        foreach (var property in typeof(OutboxMessage).GetProperties().Where(p => p.GetIndexParameters().Length == 0))
            Assert.True(Equals(property.GetValue(outboxByEf), property.GetValue(outboxByRow)), $"{property.Name}: {property.GetValue(outboxByEf)} read as {property.GetValue(outboxByRow)}");
        Assert.Equal(outboxRow.DestinationAddress, outboxByRow.DestinationAddress);
        Assert.Equal(DateTimeKind.Utc, outboxByRow.SentTime.Kind);
        Assert.Null(missing);
    }

    static async Task<Guid> CreateCounterAsync(CounterBus bus)
    {
        var counter = Guid.NewGuid();
        await bus.SendAsync(new Increment(counter));
        await bus.Events.WaitForAsync(e => e.Count == 1, TimeSpan.FromSeconds(60), "the saga created");
        return counter;
    }

    static InboxMessage NewInboxRow() =>
        new() { MessageId = Guid.NewGuid().ToString(), ConsumerId = Guid.NewGuid(), ReceivedAt = DateTimeOffset.UtcNow };
}
