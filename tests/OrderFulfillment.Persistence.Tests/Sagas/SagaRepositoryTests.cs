using Microsoft.EntityFrameworkCore;

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
}
