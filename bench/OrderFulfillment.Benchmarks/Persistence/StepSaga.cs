using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Benchmarks.Persistence;

// Workload P's saga: each step advances its saga and publishes one event. Nothing else, so that what is measured is the
// persistence layer (saga repository, inbox, outbox, delivery).

/// <summary>Step <see cref="Number"/> of saga <see cref="SagaId"/>; <see cref="StepId"/> is also the message id.</summary>
public sealed record Step
{
    public required Guid SagaId { get; init; }
    public required int Number { get; init; }
    public required Guid StepId { get; init; }
}

public sealed record Stepped
{
    public required Guid SagaId { get; init; }
    public required int Number { get; init; }
    public required Guid StepId { get; init; }
    public required int Count { get; init; }
}

public sealed class StepState : IVersionedSaga
{
    public Guid CorrelationId { get; set; }
    public string CurrentState { get; set; } = null!;
    public uint Version { get; set; }
    public int Count { get; set; }
    public int LastStep { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class StepStateMachine : MassTransitStateMachine<StepState>
{
    public StepStateMachine()
    {
        InstanceState(x => x.CurrentState);
        Event(() => Step, e => e.CorrelateById(c => c.Message.SagaId));

        Initially(When(Step).Then(Advance).PublishAsync(c => c.Init<Stepped>(Event(c))).TransitionTo(Active));
        During(Active, When(Step).Then(Advance).PublishAsync(c => c.Init<Stepped>(Event(c))));
    }

    public State Active { get; } = null!;
    public Event<Step> Step { get; } = null!;

    static void Advance(BehaviorContext<StepState, Step> context)
    {
        context.Saga.Count++;
        context.Saga.LastStep = context.Message.Number;
        context.Saga.UpdatedAt = DateTimeOffset.UtcNow;
    }

    static Stepped Event(BehaviorContext<StepState, Step> context) => new()
    {
        SagaId = context.Saga.CorrelationId,
        Number = context.Message.Number,
        StepId = context.Message.StepId,
        Count = context.Saga.Count,
    };
}

public sealed class StepStateMap : SagaMap<StepState>
{
    protected override string TableName => "step_saga";

    protected override void ConfigureState(EntityTypeBuilder<StepState> entity) =>
        entity.Property(x => x.CurrentState).HasMaxLength(32);
}

public sealed class BenchDbContext : DbContext
{
    public BenchDbContext(DbContextOptions<BenchDbContext> options)
        : base(options)
    {
        // --ef-autosavepoints off: what the library would gain by turning EF Core's automatic savepoints off inside its
        // own transaction (each SaveChanges in an open transaction otherwise adds SAVEPOINT and RELEASE round trips).
        if (!AutoSavepoints)
            Database.AutoSavepointsEnabled = false;
    }

    public static bool AutoSavepoints { get; set; } = true;

    public DbSet<StepState> Sagas => Set<StepState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new StepStateMap());
        modelBuilder.AddTransactionalOutboxTables();
    }
}
