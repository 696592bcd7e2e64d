using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace OrderFulfillment.Benchmarks;

/// <summary>
/// The broker and database that scripts/services-up.sh starts (overridable with the same variables as the tests).
/// Each benchmark run gets a fresh vhost and fresh databases, removed afterwards.
/// </summary>
public static class Infra
{
    public static string RabbitHost => Env("RabbitMq__Host", "127.0.0.1");
    public static int RabbitPort => int.Parse(Env("RabbitMq__Port", "5672"), CultureInfo.InvariantCulture);
    public static int ManagementPort => int.Parse(Env("RabbitMq__ManagementPort", "15672"), CultureInfo.InvariantCulture);
    public static string RabbitUser => Env("RabbitMq__Username", "orderfulfillment");
    public static string RabbitPassword => Env("RabbitMq__Password", "orderfulfillment");
    public static string PostgresServer => Env("ConnectionStrings__Postgres", "Host=127.0.0.1;Port=5432;Username=orderfulfillment;Password=orderfulfillment");

    public static string Database(string name) => $"{PostgresServer};Database={name}";

    public static HttpClient Management()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{RabbitHost}:{ManagementPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitUser}:{RabbitPassword}")));
        return http;
    }

    public static async Task<IConnection> ConnectAsync(string vhost, string name)
    {
        var factory = new ConnectionFactory
        {
            HostName = RabbitHost,
            Port = RabbitPort,
            VirtualHost = vhost,
            UserName = RabbitUser,
            Password = RabbitPassword,
        };
        return await factory.CreateConnectionAsync(name);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>Messages acknowledged per queue of the vhost (management API message_stats.ack).</summary>
    public static async Task<Dictionary<string, long>> AckedPerQueueAsync(string vhost)
    {
        using var http = Management();
        using var document = JsonDocument.Parse(await http.GetStringAsync($"api/queues/{Uri.EscapeDataString(vhost)}?columns=name,message_stats"));
        var result = new Dictionary<string, long>();
        foreach (var queue in document.RootElement.EnumerateArray())
        {
            long acked = 0;
            if (queue.TryGetProperty("message_stats", out var stats))
            {
                if (stats.TryGetProperty("ack", out var ack))
                    acked += ack.GetInt64();
                if (stats.TryGetProperty("deliver_no_ack", out var noAck))
                    acked += noAck.GetInt64();
            }

            result[queue.GetProperty("name").GetString()!] = acked;
        }

        return result;
    }

    static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}

/// <summary>A fresh vhost and fresh databases for one run; all removed on dispose (unless --keep).</summary>
public sealed class RunScope : IAsyncDisposable
{
    readonly List<string> _databases = [];
    readonly bool _keep;

    RunScope(string id, bool keep)
    {
        Id = id;
        _keep = keep;
    }

    public string Id { get; }
    public string VirtualHost => "bench-" + Id;

    public static async Task<RunScope> CreateAsync(string purpose, bool keep)
    {
        var id = $"{purpose}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid():N}"[..Math.Min(40, purpose.Length + 16)].ToLowerInvariant();
        var scope = new RunScope(id, keep);
        using var http = Infra.Management();
        try
        {
            (await http.PutAsync($"api/vhosts/{Uri.EscapeDataString(scope.VirtualHost)}", null)).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(scope.VirtualHost)}/{Uri.EscapeDataString(Infra.RabbitUser)}",
                new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException(
                $"RabbitMQ's management API at {Infra.RabbitHost}:{Infra.ManagementPort} is not reachable (run scripts/services-up.sh): {exception.Message}",
                exception);
        }

        return scope;
    }

    /// <summary>The name of a database of this run (not created: the caller or the service creates it).</summary>
    public string DatabaseName(string name)
    {
        var database = $"bench_{Id.Replace('-', '_')}_{name}";
        _databases.Add(database);
        return database;
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        var database = DatabaseName(name);
        await Infra.ExecuteAsync(Infra.Database("postgres"), $"CREATE DATABASE \"{database}\"");
        return Infra.Database(database);
    }

    public async ValueTask DisposeAsync()
    {
        if (_keep)
        {
            Console.Error.WriteLine($"[bench] kept vhost {VirtualHost} and databases {string.Join(", ", _databases)}");
            return;
        }

        using (var http = Infra.Management())
        {
            try
            {
                await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
            }
            catch (HttpRequestException)
            {
            }
        }

        NpgsqlConnection.ClearAllPools();
        foreach (var database in _databases)
        {
            // A connection of another role (autovacuum, a monitoring session) can make FORCE fail for a moment.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Infra.ExecuteAsync(Infra.Database("postgres"), $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
                    break;
                }
                catch (NpgsqlException exception) when (attempt < 5)
                {
                    Console.Error.WriteLine($"[bench] could not drop {database} yet ({exception.Message}); retrying");
                    await Task.Delay(TimeSpan.FromSeconds(2));
                }
                catch (NpgsqlException exception)
                {
                    Console.Error.WriteLine($"[bench] could not drop {database}: {exception.Message}");
                    break;
                }
            }
        }
    }
}

/// <summary>Warnings and errors of the in-process buses, to stderr.</summary>
public sealed class StderrLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, minimum);

    public void Dispose()
    {
    }

    sealed class Logger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            Console.Error.WriteLine($"[{logLevel}] {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
