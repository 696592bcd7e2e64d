using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrderFulfillment.Hosting.Data;

/// <summary>
/// At start a service creates its database where it is missing (when its user may) and applies its migrations, so a
/// bare PostgreSQL server is enough. <c>Database__MigrateAtStartup=false</c> turns this off for deployments that migrate
/// in a separate step. Any failure stops the service with the reason.
/// </summary>
public static class DatabaseStartup
{
    public static async Task PrepareDatabaseAsync<TDbContext>(this WebApplication app, string connectionStringName)
        where TDbContext : DbContext
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrderFulfillment.Startup");
        var connectionString = app.Configuration.GetConnectionString(connectionStringName)!;
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!app.Configuration.GetValue("Database:MigrateAtStartup", true))
        {
            logger.LogInformation("Database {Database}: migration at start is off (Database:MigrateAtStartup=false)", builder.Database);
            return;
        }

        try
        {
            await CreateDatabaseIfMissingAsync(builder, logger);
            await using var scope = app.Services.CreateAsyncScope();
            var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
            var pending = (await dbContext.Database.GetPendingMigrationsAsync()).ToList();
            await dbContext.Database.MigrateAsync();
            logger.LogInformation("Database {Database} on {Host}:{Port}: {Count} migrations applied", builder.Database, builder.Host, builder.Port,
                pending.Count);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"Cannot prepare database '{builder.Database}' on {builder.Host}:{builder.Port} as user '{builder.Username}' " +
                $"(ConnectionStrings__{connectionStringName}): {exception.GetBaseException().Message}", exception);
        }
    }

    static async Task CreateDatabaseIfMissingAsync(NpgsqlConnectionStringBuilder target, ILogger logger)
    {
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", target.Database!);
        if (await exists.ExecuteScalarAsync() is not null)
            return;

        var quoted = "\"" + target.Database!.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
#pragma warning disable CA2100 // the name is quoted as an identifier; CREATE DATABASE takes no parameters
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
#pragma warning restore CA2100
        try
        {
            await create.ExecuteNonQueryAsync();
            logger.LogInformation("Created database {Database}", target.Database);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // another instance created it at the same moment
        }
    }
}
