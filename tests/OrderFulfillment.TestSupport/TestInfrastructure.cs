using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace OrderFulfillment.TestSupport;

/// <summary>
/// The real RabbitMQ and PostgreSQL that integration tests run against, read from the environment (defaults: what
/// scripts/services-up.sh starts). Each test run gets a fresh vhost and fresh databases; a missing server fails the
/// test, it never skips it.
/// </summary>
public sealed class TestInfrastructure : IAsyncDisposable
{
    readonly List<string> _databases = [];

    TestInfrastructure(string vhost) => VirtualHost = vhost;

    public static string RabbitHost => Env("RabbitMq__Host", "127.0.0.1");
    public static int RabbitPort => int.Parse(Env("RabbitMq__Port", "5672"), System.Globalization.CultureInfo.InvariantCulture);
    public static int ManagementPort => int.Parse(Env("RabbitMq__ManagementPort", "15672"), System.Globalization.CultureInfo.InvariantCulture);
    public static string RabbitUser => Env("RabbitMq__Username", "orderfulfillment");
    public static string RabbitPassword => Env("RabbitMq__Password", "orderfulfillment");
    public static string PostgresServer => Env("ConnectionStrings__Postgres", "Host=127.0.0.1;Port=5432;Username=orderfulfillment;Password=orderfulfillment");

    public string VirtualHost { get; }

    public static async Task<TestInfrastructure> CreateAsync(string purpose)
    {
        var vhost = $"test-{purpose}-{Guid.NewGuid():N}"[..40];
        using var http = ManagementClient();
        try
        {
            await WaitForManagementAsync(http);
            (await http.PutAsync($"api/vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
            (await http.PutAsJsonAsync($"api/permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(RabbitUser)}",
                new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        }
        catch (HttpRequestException exception)
        {
            throw new InvalidOperationException(
                $"RabbitMQ's management API at {RabbitHost}:{ManagementPort} is not reachable (run scripts/services-up.sh): {exception.Message}",
                exception);
        }

        // A server that does not answer fails here, with the reason.
        await using var postgres = await OpenPostgresAsync();
        return new TestInfrastructure(vhost);
    }

    /// <summary>
    /// A connection to the maintenance database of <paramref name="server"/> (by default <see cref="PostgresServer"/>), to
    /// create and drop a test's databases.
    /// </summary>
    public static async Task<NpgsqlConnection> OpenPostgresAsync(string? server = null)
    {
        server ??= PostgresServer;
        var connection = new NpgsqlConnection(server + ";Database=postgres");
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch (Exception exception) when (exception is NpgsqlException or System.Net.Sockets.SocketException)
        {
            await connection.DisposeAsync();
            throw new InvalidOperationException($"PostgreSQL ({server}) is not reachable (run scripts/services-up.sh): {exception.Message}",
                exception);
        }
    }

    /// <summary>
    /// Drops a test's databases on <paramref name="server"/> (by default <see cref="PostgresServer"/>), with their connections.
    /// </summary>
    /// <remarks>
    /// PostgreSQL 15 refuses <c>WITH (FORCE)</c> to a user who is not a superuser while an autovacuum worker is in the
    /// database (42501, "must be a member of the role whose process is being terminated"): such a worker runs as no role.
    /// It finishes in moments on a test's small database, so the drop is tried again.
    /// </remarks>
    public static async Task DropDatabasesAsync(IEnumerable<string> databases, string? server = null)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = await OpenPostgresAsync(server);
        foreach (var database in databases)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                    await drop.ExecuteNonQueryAsync();
                    break;
                }
                catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 50)
                {
                    await Task.Delay(200); // the interval between attempts while an autovacuum worker is in the database
                }
            }
        }
    }

    /// <summary>A broker that a previous test restarted may need a few seconds before its management API answers.</summary>
    static async Task WaitForManagementAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                (await http.GetAsync("api/overview")).EnsureSuccessStatusCode();
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500); // the interval between attempts while the management API comes up
            }
        }
    }

    /// <summary>A connection string to a database of this run; the service (or test) creates it.</summary>
    public string Database(string name)
    {
        var database = $"t_{VirtualHost[5..].Replace('-', '_')}_{name}";
        _databases.Add(database);
        return $"{PostgresServer};Database={database}";
    }

    public static HttpClient ManagementClient()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{RabbitHost}:{ManagementPort}/") };
        http.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RabbitUser}:{RabbitPassword}")));
        return http;
    }

    /// <summary>A queue of this run as the management API describes it (messages, unacknowledged, message_stats…).</summary>
    public async Task<System.Text.Json.JsonElement> QueueAsync(string queue)
    {
        using var http = ManagementClient();
        return await http.GetFromJsonAsync<System.Text.Json.JsonElement>(
            $"api/queues/{Uri.EscapeDataString(VirtualHost)}/{Uri.EscapeDataString(queue)}?msg_rates_age=10&msg_rates_incr=5");
    }

    /// <summary>Environment for a service process (or in-process bus) of this run.</summary>
    public Dictionary<string, string> BrokerEnvironment() => new()
    {
        ["RabbitMq__Host"] = RabbitHost,
        ["RabbitMq__Port"] = RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq__VirtualHost"] = VirtualHost,
        ["RabbitMq__Username"] = RabbitUser,
        ["RabbitMq__Password"] = RabbitPassword,
    };

    public async ValueTask DisposeAsync()
    {
        using var http = ManagementClient();
        try
        {
            await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
        }
        catch (HttpRequestException)
        {
            // best effort: a broker stopped by a test is restarted by it
        }

        await DropDatabasesAsync(_databases);
    }

    static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
