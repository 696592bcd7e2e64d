using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// A fresh PostgreSQL database for one test class (an xunit class fixture) on the server of
/// <see cref="TestInfrastructure.PostgresServer"/>, with <typeparamref name="TDbContext"/>'s migrations applied, for harness
/// hosts that store their sagas as the service does (<see cref="HarnessHost.StartOnPostgresAsync{TDbContext}"/>). A server
/// that does not answer fails the test class, it never skips it. Dropped when the class is done.
/// </summary>
public sealed class PostgresHarnessDatabase<TDbContext> : IAsyncLifetime
    where TDbContext : DbContext
{
    readonly string _name = $"t_harness_{typeof(TDbContext).Name.ToLowerInvariant()}_{Guid.NewGuid():N}";

    public string ConnectionString => $"{TestInfrastructure.PostgresServer};Database={_name}";

    public async Task InitializeAsync()
    {
        await using (var server = await TestInfrastructure.OpenPostgresAsync())
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{_name}\"", server);
            await create.ExecuteNonQueryAsync();
        }

        await using var provider = new ServiceCollection().AddDbContext<TDbContext>(o => o.UseNpgsql(ConnectionString)).BuildServiceProvider();
        await using var scope = provider.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TDbContext>().Database.MigrateAsync();
    }

    /// <summary>
    /// Empties every table but the migrations' history: each test starts on an empty database, and nothing one test left
    /// in the outbox (an undelivered event, a scheduled deadline) is delivered into the next one's harness.
    /// </summary>
    public async Task EmptyAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var empty = new NpgsqlCommand("""
            DO $$ BEGIN
                EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('%I', tablename), ', ') FROM pg_tables
                         WHERE schemaname = 'public' AND tablename <> '__EFMigrationsHistory');
            END $$
            """, connection);
        await empty.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => TestInfrastructure.DropDatabasesAsync([_name]);
}
