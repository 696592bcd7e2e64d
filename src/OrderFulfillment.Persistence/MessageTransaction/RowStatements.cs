using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace OrderFulfillment.Persistence.MessageTransaction;

/// <summary>
/// The SELECT by key, INSERT, UPDATE and DELETE of one mapped entity type, written once from the EF Core model (table,
/// column names, type mappings and value converters), so that a consumed message's rows are read and written as plain
/// statements (the writes in one batch) instead of through EF Core's query pipeline, change tracking and <c>SaveChanges</c>.
/// </summary>
/// <remarks>
/// Only flat entities: every property a column of the entity's own table (value converters, such as a
/// <see cref="JsonColumn"/>, are applied). Store-generated columns (an identity, a default such as <c>now()</c>, the row
/// version) are left to PostgreSQL. An update or a delete names the row by its key and by the row version it was loaded
/// with, so that a row changed meanwhile is not overwritten: the statement then affects no row.
/// </remarks>
internal sealed class RowStatements
{
    static readonly ConcurrentDictionary<(IModel Model, Type Type), RowStatements> Cache = new();

    // RelationalTypeMapping.CreateParameter only asks a command to create an empty parameter; the mapping then sets its
    // value (through the property's value converter) and its PostgreSQL type (jsonb, xid, ...).
    static readonly NpgsqlCommand ParameterFactory = new();

    readonly string _entity;
    readonly IProperty[] _inserted;
    readonly IProperty[] _updated;
    readonly IProperty? _key;
    readonly IProperty? _version;
    readonly string _insert;
    readonly string? _update;
    readonly string? _delete;
    readonly Lazy<(string Sql, Func<DbDataReader, object> Read)> _select;

    RowStatements(IEntityType entityType)
    {
        _entity = entityType.DisplayName();
        var tableName = entityType.GetTableName() ?? throw new InvalidOperationException($"{_entity} is not mapped to a table.");
        var table = StoreObjectIdentifier.Table(tableName, entityType.GetSchema());
        var qualified = entityType.GetSchema() is { } schema ? $"{Quote(schema)}.{Quote(tableName)}" : Quote(tableName);
        string Column(IProperty property) => Quote(property.GetColumnName(table)
            ?? throw new InvalidOperationException($"{_entity}.{property.Name} is not a column of {tableName}."));

        var key = entityType.FindPrimaryKey()?.Properties;
        _key = key is [var single] ? single : null;
        _version = entityType.GetProperties().SingleOrDefault(p => p.IsConcurrencyToken && p.ValueGenerated == ValueGenerated.OnAddOrUpdate);
        // Every column PostgreSQL does not generate itself (an identity key, a default, the row version).
        _inserted = [.. entityType.GetProperties().Where(p => p.ValueGenerated == ValueGenerated.Never)];
        _updated = [.. _inserted.Where(p => p != _key)];

        _select = new(() => CreateSelect(entityType, qualified, Column));
        _insert = $"INSERT INTO {qualified} ({string.Join(", ", _inserted.Select(Column))}) " +
                  $"VALUES ({string.Join(", ", _inserted.Select((_, i) => $"${i + 1}"))})";
        if (_key is null)
            return;

        var set = string.Join(", ", _updated.Select((property, i) => $"{Column(property)} = ${i + 1}"));
        var keyNumber = _updated.Length + 1;
        var where = _version is null
            ? $"{Column(_key)} = ${keyNumber}"
            : $"{Column(_key)} = ${keyNumber} AND {Column(_version)} = ${keyNumber + 1}";
        _update = MustChangeOneRow($"UPDATE {qualified} SET {set} WHERE {where}");
        _delete = MustChangeOneRow(_version is null
            ? $"DELETE FROM {qualified} WHERE {Column(_key)} = $1"
            : $"DELETE FROM {qualified} WHERE {Column(_key)} = $1 AND {Column(_version)} = $2");
    }

    /// <summary>
    /// <paramref name="change"/> made to fail when it changes no row: the row changed since it was loaded (or is gone).
    /// The batch then stops there and its COMMIT is never run. PostgreSQL has no statement that raises an error in plain
    /// SQL, so the count of changed rows divides one: no row is a division by zero (<see cref="RowChangedSqlState"/>).
    /// The divisor depends on the rows, so the planner cannot evaluate it ahead and fail a statement that changes one.
    /// </summary>
    static string MustChangeOneRow(string change) => $"WITH changed AS ({change} RETURNING 1) SELECT 1 / count(*) FROM changed";

    /// <summary>The error of an update or delete whose row changed since it was loaded (see <see cref="MustChangeOneRow"/>).</summary>
    internal const string RowChangedSqlState = PostgresErrorCodes.DivisionByZero;

    /// <summary>The statements of <paramref name="type"/> in <paramref name="dbContext"/>'s model (written once per model and type).</summary>
    public static RowStatements For(DbContext dbContext, Type type) =>
        Cache.GetOrAdd((dbContext.Model, type), static key => new RowStatements(
            key.Model.FindEntityType(key.Type) ?? throw new InvalidOperationException($"{key.Type.Name} is not an entity of the model.")));

    /// <summary>
    /// Reads the row whose key is <paramref name="key"/> in <paramref name="dbContext"/>'s open transaction (one
    /// statement, no change tracking): a new instance with every mapped property set, or null when there is no such row.
    /// </summary>
    public async Task<object?> LoadAsync(DbContext dbContext, object key, CancellationToken cancellationToken)
    {
        var (sql, read) = _select.Value;
        var connection = (NpgsqlConnection)dbContext.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)dbContext.Database.CurrentTransaction?.GetDbTransaction();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(ParameterOf(_key!, key));
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? read(reader) : null;
    }

    /// <summary>
    /// The SELECT of every mapped column by key, and the function that makes an instance of one row: each column read
    /// as EF Core reads it (the type mapping's reader method), through the property's value converter, into the
    /// property. Compiled once per entity type.
    /// </summary>
    (string Sql, Func<DbDataReader, object> Read) CreateSelect(IEntityType entityType, string qualified, Func<IProperty, string> column)
    {
        if (_key is null)
            throw NoSingleKey();
        var properties = entityType.GetProperties().ToArray();
        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var instance = Expression.Variable(entityType.ClrType, "instance");
        var body = new List<Expression> { Expression.Assign(instance, Expression.New(entityType.ClrType)) };
        for (var i = 0; i < properties.Length; i++)
        {
            var property = properties[i];
            var mapping = property.GetRelationalTypeMapping();
            Expression value = mapping.CustomizeDataReaderExpression(
                Expression.Call(reader, mapping.GetDataReaderMethod(), Expression.Constant(i)));
            if (mapping.Converter is { } converter)
            {
                if (value.Type != converter.ProviderClrType)
                    value = Expression.Convert(value, converter.ProviderClrType);
                value = Expression.Invoke(converter.ConvertFromProviderExpression, value);
            }

            var member = property.PropertyInfo is { CanWrite: true } writable ? Expression.Property(instance, writable)
                : property.FieldInfo is { } field ? Expression.Field(instance, field)
                : throw new InvalidOperationException($"{_entity}.{property.Name} has no property or field to read a row into.");
            if (value.Type != member.Type)
                value = Expression.Convert(value, member.Type);
            var isNull = Expression.Call(reader, typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull))!, Expression.Constant(i));
            body.Add(property.IsNullable
                ? Expression.IfThen(Expression.Not(isNull), Expression.Assign(member, value))
                : Expression.Assign(member, value));
        }

        body.Add(Expression.Convert(instance, typeof(object)));
        var read = Expression.Lambda<Func<DbDataReader, object>>(Expression.Block([instance], body), reader).Compile();
        var sql = $"SELECT {string.Join(", ", properties.Select(column))} FROM {qualified} WHERE {column(_key)} = $1";
        return (sql, read);
    }

    public RowWrite Insert(object entity)
    {
        var command = new NpgsqlBatchCommand(_insert);
        foreach (var property in _inserted)
            command.Parameters.Add(Parameter(property, entity));
        return new RowWrite(command, $"the new {_entity}", MustChangeOneRow: false, entity);
    }

    public RowWrite Update(object entity)
    {
        var command = new NpgsqlBatchCommand(_update ?? throw NoSingleKey());
        foreach (var property in _updated)
            command.Parameters.Add(Parameter(property, entity));
        AddKeyAndVersion(command, entity);
        return new RowWrite(command, $"{_entity} {KeyOf(entity)}", MustChangeOneRow: true, entity);
    }

    public RowWrite Delete(object entity)
    {
        var command = new NpgsqlBatchCommand(_delete ?? throw NoSingleKey());
        AddKeyAndVersion(command, entity);
        return new RowWrite(command, $"{_entity} {KeyOf(entity)}", MustChangeOneRow: true, entity);
    }

    static NpgsqlParameter ParameterOf(IProperty property, object? value) =>
        (NpgsqlParameter)property.GetRelationalTypeMapping().CreateParameter(ParameterFactory, "", value, property.IsNullable);

    void AddKeyAndVersion(NpgsqlBatchCommand command, object entity)
    {
        command.Parameters.Add(Parameter(_key!, entity));
        if (_version is not null)
            command.Parameters.Add(Parameter(_version, entity));
    }

    object? KeyOf(object entity) => _key!.GetGetter().GetClrValueUsingContainingEntity(entity);

    InvalidOperationException NoSingleKey() => new($"{_entity} has no single-column key to update or delete by.");

    static NpgsqlParameter Parameter(IProperty property, object entity) =>
        ParameterOf(property, property.GetGetter().GetClrValueUsingContainingEntity(entity));

    static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

/// <summary>
/// One statement of a consumed message's batch. <paramref name="MustChangeOneRow"/>: an update or delete of a row loaded
/// with a version; when it changes nothing, the row changed since it was loaded (or is gone) and the message must be retried.
/// </summary>
internal sealed record RowWrite(NpgsqlBatchCommand Command, string Subject, bool MustChangeOneRow, object Entity)
{
    /// <summary>
    /// Sends <paramref name="writes"/> and the COMMIT of <paramref name="dbContext"/>'s open transaction to PostgreSQL in
    /// one round trip (<see cref="CommittingBatch"/>): when it returns, the message's rows are committed. A row that
    /// changed since it was loaded fails with <see cref="DbUpdateConcurrencyException"/>, and nothing is committed.
    /// </summary>
    public static async Task ExecuteAndCommitAsync(DbContext dbContext, IReadOnlyList<RowWrite> writes, CancellationToken cancellationToken)
    {
        try
        {
            await CommittingBatch.ExecuteAsync(dbContext, writes.Select(write => write.Command), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException exception) when (exception.SqlState == RowStatements.RowChangedSqlState)
        {
            // The statement that failed, when Npgsql says; otherwise the first that had to change a row.
            var write = writes.FirstOrDefault(w => w.MustChangeOneRow && ReferenceEquals(w.Command, exception.BatchCommand))
                        ?? writes.First(w => w.MustChangeOneRow);
            throw new DbUpdateConcurrencyException($"{write.Subject} changed since it was loaded (its row version no longer matches).", exception);
        }
    }
}
