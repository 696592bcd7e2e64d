using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace OrderFulfillment.Persistence;

/// <summary>
/// Base class for a saga instance's table mapping: the correlation id is the key and <see cref="IVersionedSaga.Version"/>
/// is the row version (<c>xmin</c>), so that concurrent updates of one instance are detected.
/// </summary>
/// <typeparam name="TSaga">The saga instance.</typeparam>
public abstract class SagaMap<TSaga> : IEntityTypeConfiguration<TSaga>
    where TSaga : class, IVersionedSaga
{
    /// <summary>The table name.</summary>
    protected abstract string TableName { get; }

    /// <inheritdoc />
    public void Configure(EntityTypeBuilder<TSaga> builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var entity = builder;
        entity.ToTable(TableName);
        entity.HasKey(x => x.CorrelationId);
        entity.Property(x => x.CorrelationId).ValueGeneratedNever();
        entity.Property(x => x.Version).IsRowVersion();
        ConfigureState(entity);
    }

    /// <summary>Maps the instance's own properties.</summary>
    protected abstract void ConfigureState(EntityTypeBuilder<TSaga> entity);
}
