using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OrderFulfillment.Persistence.Tests;

// A saga that knows nothing of orders: the library is tested on its own.

public sealed record Increment(Guid CounterId);

/// <summary>Creates the counter; in any later state it is an unhandled event (a consumer fault), as a redelivery would be.</summary>
public sealed record Start(Guid CounterId);

public sealed record Incremented(Guid CounterId, int Count);

/// <summary>Publishes, then fails: nothing it published may ever reach the broker.</summary>
public sealed record IncrementThenFail(Guid CounterId);

/// <summary>Schedules <see cref="Remind"/> after <paramref name="DelayMilliseconds"/>; a later one replaces it.</summary>
public sealed record StartReminder(Guid CounterId, int DelayMilliseconds);

/// <summary>Cancels the scheduled reminder.</summary>
public sealed record StopReminder(Guid CounterId);

/// <summary>The scheduled message itself: sent to the counter's own queue when due.</summary>
public sealed record Remind(Guid CounterId);

/// <summary>Published when a reminder came due while it was still scheduled.</summary>
public sealed record Reminded(Guid CounterId);

public sealed class CounterState : IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public uint Version { get; set; }
    public int Count { get; set; }
    public Guid? ReminderTokenId { get; set; }
}

public sealed class CounterStateMachine : MassTransitStateMachine<CounterState>
{
    public CounterStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Increment, e => e.CorrelateById(c => c.Message.CounterId));
        Event(() => IncrementThenFail, e => e.CorrelateById(c => c.Message.CounterId));
        Event(() => Start, e => e.CorrelateById(c => c.Message.CounterId));
        Event(() => StartReminder, e => e.CorrelateById(c => c.Message.CounterId));
        Event(() => StopReminder, e => e.CorrelateById(c => c.Message.CounterId));
        Schedule(() => Reminder, s => s.ReminderTokenId, s => s.Received = e => e.CorrelateById(c => c.Message.CounterId));

        Initially(When(Start).ThenAsync(c => c.Publish(new Incremented(c.Saga.CorrelationId, c.Saga.Count))).TransitionTo(Counting));
        Initially(When(Increment).Then(c => c.Saga.Count++).ThenAsync(c => c.Publish(new Incremented(c.Saga.CorrelationId, c.Saga.Count))).TransitionTo(Counting));
        During(Counting, When(Increment).Then(c => c.Saga.Count++).ThenAsync(c => c.Publish(new Incremented(c.Saga.CorrelationId, c.Saga.Count))));
        DuringAny(When(IncrementThenFail)
            .Then(c => c.Saga.Count += 1000)
            .ThenAsync(c => c.Publish(new Incremented(c.Saga.CorrelationId, c.Saga.Count)))
            .Then(_ => throw new InvalidOperationException("failed after publishing")));

        Initially(When(StartReminder)
            .Schedule(Reminder, c => new Remind(c.Saga.CorrelationId), c => TimeSpan.FromMilliseconds(c.Message.DelayMilliseconds))
            .TransitionTo(Counting));
        During(Counting,
            When(StartReminder).Schedule(Reminder, c => new Remind(c.Saga.CorrelationId), c => TimeSpan.FromMilliseconds(c.Message.DelayMilliseconds)),
            When(StopReminder).Unschedule(Reminder),
            When(Reminder!.Received).ThenAsync(c => c.Publish(new Reminded(c.Saga.CorrelationId))));
    }

    public State Counting { get; } = null!;
    public Event<Increment> Increment { get; } = null!;
    public Event<IncrementThenFail> IncrementThenFail { get; } = null!;
    public Event<Start> Start { get; } = null!;
    public Event<StartReminder> StartReminder { get; } = null!;
    public Event<StopReminder> StopReminder { get; } = null!;
    public Schedule<CounterState, Remind> Reminder { get; } = null!;
}

public sealed class CounterStateMap : SagaMap<CounterState>
{
    protected override string TableName => "counter";

    protected override void ConfigureState(EntityTypeBuilder<CounterState> entity) =>
        entity.Property(x => x.CurrentState).HasMaxLength(32);
}

public sealed class CounterDbContext(DbContextOptions<CounterDbContext> options) : DbContext(options)
{
    public DbSet<CounterState> Counters => Set<CounterState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new CounterStateMap());
        modelBuilder.AddTransactionalOutboxTables();
    }
}
