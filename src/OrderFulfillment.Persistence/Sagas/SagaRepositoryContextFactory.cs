using System.Data;
using MassTransit;
using MassTransit.Saga;
using OrderFulfillment.Persistence.MessageTransaction;
using Microsoft.EntityFrameworkCore;

namespace OrderFulfillment.Persistence.Sagas;

/// <summary>
/// Gives MassTransit's saga pipeline a repository context on the scope's DbContext. Inside the transactional outbox
/// the transaction is already open and is reused, so saga row, inbox row and outbox rows commit together; used alone,
/// each message gets its own transaction. Concurrency is optimistic: the row version (<c>xmin</c>) makes a stale save fail.
/// </summary>
internal sealed class SagaRepositoryContextFactory<TDbContext, TSaga>(
    TDbContext dbContext, ISagaConsumeContextFactory<DbContext, TSaga> consumeContextFactory)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TDbContext : DbContext
    where TSaga : class, IVersionedSaga
{
    public Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next)
        where T : class =>
        WithinTransactionAsync(async () =>
        {
            var repositoryContext = new DbSagaRepositoryContext<TSaga, T>(dbContext, context, consumeContextFactory, Outbox(context));
            await next.Send(repositoryContext).ConfigureAwait(false);
        }, context.CancellationToken);

    public Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class =>
        WithinTransactionAsync(async () =>
        {
            var outbox = Outbox(context);
            var instances = await (outbox is null ? dbContext.Set<TSaga>() : dbContext.Set<TSaga>().AsNoTracking()).Where(query.FilterExpression)
                .ToListAsync(context.CancellationToken).ConfigureAwait(false);
            var repositoryContext = new DbSagaRepositoryContext<TSaga, T>(dbContext, context, consumeContextFactory, outbox);
            await next.Send(new LoadedSagaRepositoryQueryContext<TSaga, T>(repositoryContext, instances)).ConfigureAwait(false);
        }, context.CancellationToken);

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new DbSagaQueryContext<TSaga>(dbContext, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class =>
        asyncMethod(new DbSagaQueryContext<TSaga>(dbContext, cancellationToken));

    public void Probe(ProbeContext context)
    {
        context.Add("persistence", "postgresql");
        context.Add("entity", typeof(TSaga).Name);
    }

    /// <summary>Inside the transactional outbox, on its transaction: the outbox writes the saga with its own rows.</summary>
    ISavesChangesBeforeCommit? Outbox(ConsumeContext context) =>
        dbContext.Database.CurrentTransaction is not null && context.TryGetPayload(out ISavesChangesBeforeCommit? outbox) ? outbox : null;

    async Task WithinTransactionAsync(Func<Task> callback, CancellationToken cancellationToken)
    {
        if (dbContext.Database.CurrentTransaction is not null)
        {
            await callback().ConfigureAwait(false);
            return;
        }

        dbContext.Database.AutoSavepointsEnabled = false;
        await using var transaction = await dbContext.Database
            .BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
        await callback().ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
