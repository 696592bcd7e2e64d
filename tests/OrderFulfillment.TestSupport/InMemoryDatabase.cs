using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// One EF Core in-memory database that several harness hosts can share, as the instances of a service share its
/// PostgreSQL database, with the sagas' row versions kept as PostgreSQL keeps them.
/// </summary>
/// <remarks>
/// EF Core's in-memory provider compares a concurrency token's original value with the stored row on every update, but
/// it never changes a row version itself (PostgreSQL changes <c>xmin</c> with every update): left alone, every saga's
/// <see cref="IVersionedSaga.Version"/> stays 0, two concurrent saves of one saga both succeed and the later one
/// silently overwrites the other. Nor is a save atomic there: when a save of several sagas meets a stale one, the
/// rows before it are already written. So here each save is checked first, as a whole: if any saga it updates or
/// deletes has changed since it was read, it fails with <see cref="DbUpdateConcurrencyException"/> before anything is
/// written (and its message is retried, as in production); otherwise it raises the version of each saga it updates by one.
/// </remarks>
public sealed class InMemoryDatabase
{
    /// <summary>
    /// One root for every shared database (each has a name of its own): EF Core builds an internal service provider per
    /// root, and fails once it has built more than twenty.
    /// </summary>
    static readonly InMemoryDatabaseRoot SharedRoot = new();

    readonly SagaRowVersions _rowVersions = new();

    public string Name { get; } = Guid.NewGuid().ToString();

    public InMemoryDatabaseRoot Root => SharedRoot;

    /// <summary>Saves that failed because a saga had changed since it was read (each one is retried).</summary>
    public int ConcurrencyConflicts => _rowVersions.Conflicts;

    internal IInterceptor RowVersions => _rowVersions;

    /// <summary>The row version of every saga in the database, checked and raised by each save in one step.</summary>
    sealed class SagaRowVersions : SaveChangesInterceptor
    {
        readonly Dictionary<(Type, Guid), uint> _versions = [];
        int _conflicts;

        public int Conflicts => Volatile.Read(ref _conflicts);

        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            Check(eventData.Context);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
            CancellationToken cancellationToken = default)
        {
            Check(eventData.Context);
            return ValueTask.FromResult(result);
        }

        void Check(DbContext? context)
        {
            if (context is null)
                return;
            var changed = context.ChangeTracker.Entries<IVersionedSaga>()
                .Where(entry => entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted).ToList();
            lock (_versions)
            {
                var stale = changed.Where(entry => entry.State != EntityState.Added && Stored(entry) != entry.Property(saga => saga.Version).OriginalValue)
                    .ToList();
                if (stale.Count > 0)
                {
                    _conflicts++;
                    throw new DbUpdateConcurrencyException(
                        $"{string.Join(", ", stale.Select(entry => $"{entry.Metadata.ClrType.Name} {entry.Entity.CorrelationId}"))} changed since it was read");
                }

                foreach (var entry in changed)
                {
                    var key = (entry.Metadata.ClrType, entry.Entity.CorrelationId);
                    switch (entry.State)
                    {
                        case EntityState.Added:
                            _versions.TryAdd(key, entry.Entity.Version); // a row that exists already fails on its key
                            break;
                        case EntityState.Modified:
                            var version = entry.Property(saga => saga.Version);
                            version.CurrentValue = version.OriginalValue + 1;
                            _versions[key] = version.CurrentValue;
                            break;
                        default:
                            _versions.Remove(key);
                            break;
                    }
                }
            }
        }

        uint Stored(EntityEntry<IVersionedSaga> entry) => _versions.GetValueOrDefault((entry.Metadata.ClrType, entry.Entity.CorrelationId));
    }
}
