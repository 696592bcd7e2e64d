using MassTransit;
using MassTransit.Context;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Persistence.MessageTransaction;

namespace OrderFulfillment.Persistence.Sagas;

/// <summary>
/// Loads, adds, updates and removes one saga type's instances for one consumed message. Inside the transactional
/// outbox (<paramref name="outbox"/> given) an instance is loaded by a plain SELECT without change tracking and its change is staged as
/// a statement (<see cref="RowStatements"/>): the outbox writes it with the rows of what the saga published, one batch
/// of statements at the end of the message; an instance changed since it was loaded fails that batch. Without the
/// outbox, EF Core tracks the instance and saves it at once (any EF Core provider).
/// </summary>
internal sealed class DbSagaRepositoryContext<TSaga, TMessage> : ConsumeContextScope<TMessage>, SagaRepositoryContext<TSaga, TMessage>
    where TSaga : class, IVersionedSaga
    where TMessage : class
{
    // Compiled once: a LINQ query is otherwise rebuilt, hashed and looked up in EF Core's query cache for every message.
    static readonly Func<DbContext, Guid, CancellationToken, Task<TSaga?>> LoadById = EF.CompileAsyncQuery(
        (DbContext dbContext, Guid correlationId, CancellationToken _) =>
            dbContext.Set<TSaga>().FirstOrDefault(x => x.CorrelationId == correlationId));

    readonly DbContext _dbContext;
    readonly ConsumeContext<TMessage> _consumeContext;
    readonly ISagaConsumeContextFactory<DbContext, TSaga> _factory;
    readonly ISavesChangesBeforeCommit? _outbox;

    public DbSagaRepositoryContext(DbContext dbContext, ConsumeContext<TMessage> consumeContext, ISagaConsumeContextFactory<DbContext, TSaga> factory,
        ISavesChangesBeforeCommit? outbox)
        : base(consumeContext, dbContext)
    {
        _dbContext = dbContext;
        _consumeContext = consumeContext;
        _factory = factory;
        _outbox = outbox;
    }

    public Task<SagaConsumeContext<TSaga, TMessage>> Add(TSaga instance)
    {
        OrderOutboxBy(instance);
        return _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Add);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Insert(TSaga instance)
    {
        // Inside a transaction a failed INSERT would abort it: a savepoint keeps the transaction usable.
        var transaction = _dbContext.Database.CurrentTransaction;
        if (transaction is not null)
            await transaction.CreateSavepointAsync("saga_insert", CancellationToken).ConfigureAwait(false);

        var entry = await _dbContext.Set<TSaga>().AddAsync(instance, CancellationToken).ConfigureAwait(false);
        try
        {
            await _dbContext.SaveChangesAsync(CancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException)
        {
            entry.State = EntityState.Detached;
            if (transaction is not null)
                await transaction.RollbackToSavepointAsync("saga_insert", CancellationToken).ConfigureAwait(false);
            return null!;
        }

        // Inside the outbox the instance's later change is staged as an update of the row just inserted (its version
        // read back by SaveChanges), not tracked.
        if (_outbox is not null)
            entry.State = EntityState.Detached;
        OrderOutboxBy(instance);
        return await _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Insert).ConfigureAwait(false);
    }

    public async Task<SagaConsumeContext<TSaga, TMessage>> Load(Guid correlationId)
    {
        // Inside the outbox: one plain SELECT, no change tracking (the outbox writes the change as a statement).
        var instance = _outbox is null
            ? await LoadById(_dbContext, correlationId, CancellationToken).ConfigureAwait(false)
            : (TSaga?)await RowStatements.For(_dbContext, typeof(TSaga)).LoadAsync(_dbContext, correlationId, CancellationToken).ConfigureAwait(false);
        if (instance is null)
            return null!;
        OrderOutboxBy(instance);
        return await _factory.CreateSagaConsumeContext(_dbContext, _consumeContext, instance, SagaConsumeContextMode.Load).ConfigureAwait(false);
    }

    public Task Save(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_outbox is not null)
            return Stage(statements => statements.Insert(context.Saga));
        _dbContext.Set<TSaga>().Add(context.Saga);
        return _dbContext.SaveChangesAsync(CancellationToken);
    }

    public Task Update(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _outbox is not null ? Stage(statements => statements.Update(context.Saga)) : _dbContext.SaveChangesAsync(CancellationToken);
    }

    public Task Delete(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_outbox is not null)
            return Stage(statements => statements.Delete(context.Saga));
        _dbContext.Set<TSaga>().Remove(context.Saga);
        return _dbContext.SaveChangesAsync(CancellationToken);
    }

    Task Stage(Func<RowStatements, RowWrite> write)
    {
        _outbox!.Stage(write(RowStatements.For(_dbContext, typeof(TSaga))));
        return Task.CompletedTask;
    }

    public Task Discard(SagaConsumeContext<TSaga> context) => Task.CompletedTask;

    public Task Undo(SagaConsumeContext<TSaga> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_outbox is not null)
        {
            _outbox.Unstage(context.Saga);
            return Task.CompletedTask;
        }

        var entry = _dbContext.ChangeTracker.Entries<TSaga>().FirstOrDefault(x => x.Entity.CorrelationId == context.Saga.CorrelationId);
        if (entry is not null)
            entry.State = EntityState.Unchanged;
        return Task.CompletedTask;
    }

    /// <summary>What this saga instance publishes is delivered in the order it commits (see <see cref="OutboxOrderingKey"/>).</summary>
    void OrderOutboxBy(TSaga instance)
    {
        if (_consumeContext.TryGetPayload(out OutboxOrderingKey? key))
            key.SagaId ??= instance.CorrelationId;
    }

    public Task<SagaConsumeContext<TSaga, T>> CreateSagaConsumeContext<T>(ConsumeContext<T> consumeContext, TSaga instance, SagaConsumeContextMode mode)
        where T : class =>
        _factory.CreateSagaConsumeContext(_dbContext, consumeContext, instance, mode);
}
