using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>What the fault tests look at: readiness, a fulfillment's history, the outbox, the error queues, a script's run.</summary>
internal static class FaultChecks
{
    public static readonly string[] Lifecycle = ["pending", "planning", "picking", "picked", "packing", "packed", "ready", "shipped", "completed"];

    /// <summary>A PostgreSQL cluster of a fault test's own on <paramref name="port"/>, with the user of PGUSER and PGPASSWORD.</summary>
    public static string PostgresServer(string port) =>
        $"Host=127.0.0.1;Port={port};Username={Env("PGUSER", "orderfulfillment")};Password={Env("PGPASSWORD", "orderfulfillment")}";

    /// <summary>An environment variable, or <paramref name="fallback"/> where it is unset or empty.</summary>
    public static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    /// <summary>/health/ready's status code and body (<c>Healthy</c>, <c>Degraded</c> or <c>Unhealthy</c>).</summary>
    public static async Task<(HttpStatusCode Status, string Body)> ReadinessAsync(ServiceProcess service)
    {
        using var http = service.Http();
        using var response = await http.GetAsync("health/ready");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Waits until every service answers /health/ready with 200; fails the test after <paramref name="within"/>.</summary>
    public static async Task WaitUntilReadyAsync(TimeSpan within, params ServiceProcess[] services)
    {
        var deadline = DateTime.UtcNow + within;
        foreach (var service in services)
        {
            while ((await ReadinessAsync(service)).Status != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < deadline, $"every service ready again within {within.TotalSeconds:0} s");
                await Task.Delay(200); // the interval of a poll of /health/ready, not a quiet period
            }
        }
    }

    /// <summary>The fulfillments whose announcements (<c>fulfillment.status_changed</c>, repeats aside) are not the whole lifecycle, sequences 1..9.</summary>
    public static List<string> NotAnnouncedInOrder(IReadOnlyList<ObservedEvent> events, IEnumerable<string> fulfillmentIds)
    {
        var expected = Lifecycle.Select((status, i) => $"{i + 1}:{status}").ToList();
        var problems = new List<string>();
        foreach (var fulfillmentId in fulfillmentIds)
        {
            var observed = events.Where(e => e.Exchange == "fulfillment.status_changed" && e.Text("fulfillmentId") == fulfillmentId)
                .DistinctBy(e => e.Number("sequence")).Select(e => $"{e.Number("sequence")}:{e.Text("status")}").ToList();
            if (!observed.SequenceEqual(expected))
                problems.Add($"{fulfillmentId} announced {string.Join(",", observed)}");
        }

        return problems;
    }

    /// <summary>The fulfillments not complete and in order, as announced (<see cref="NotAnnouncedInOrder"/>) or as stored (<see cref="IncompleteHistoriesAsync"/>).</summary>
    public static async Task<List<string>> NotCompleteInOrderAsync(IReadOnlyList<ObservedEvent> events, IReadOnlyList<string> fulfillmentIds, ServiceProcess fulfillments)
    {
        var problems = NotAnnouncedInOrder(events, fulfillmentIds);
        problems.AddRange(await IncompleteHistoriesAsync(fulfillments, fulfillmentIds));
        return problems;
    }

    /// <summary>The fulfillments whose history, as the fulfillment service keeps it, is not the whole lifecycle in order.</summary>
    public static async Task<List<string>> IncompleteHistoriesAsync(ServiceProcess fulfillments, IEnumerable<string> fulfillmentIds)
    {
        using var http = fulfillments.Http();
        var problems = new List<string>();
        foreach (var fulfillmentId in fulfillmentIds)
        {
            var view = await http.GetFromJsonAsync<JsonElement>($"fulfillments/{fulfillmentId}");
            var history = view.GetProperty("history").EnumerateArray().OrderBy(h => h.GetProperty("sequence").GetInt32())
                .Select(h => h.GetProperty("status").GetString()!).ToList();
            if (!history.SequenceEqual(Lifecycle))
                problems.Add($"{fulfillmentId} history {string.Join(",", history)}");
        }

        return problems;
    }

    /// <summary>Outbox rows a service committed and has not delivered yet (the persistence library's <c>outbox_message</c>).</summary>
    public static Task<long> OutboxBacklogAsync(string connectionString) =>
        CountAsync(connectionString, "SELECT count(*) FROM outbox_message WHERE delivered_at IS NULL");

    /// <summary>Scheduled messages (deadlines, ends of hold windows) a service's outbox holds until they are due (<c>outbox_scheduled_message</c>).</summary>
    public static Task<long> ScheduledMessagesAsync(string connectionString) =>
        CountAsync(connectionString, "SELECT count(*) FROM outbox_scheduled_message");

    static async Task<long> CountAsync(string connectionString, string query)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand(query, connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Every message in a vhost's <c>_error</c> queues: their names from a management API, their counts from the broker.</summary>
    public static async Task<long> ErrorQueueMessagesAsync(HttpClient management, string virtualHost, PlainAmqp amqp)
    {
        var queues = await management.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(virtualHost)}?columns=name");
        long total = 0;
        foreach (var queue in queues.EnumerateArray().Select(q => q.GetProperty("name").GetString()!).Where(n => n.EndsWith("_error", StringComparison.Ordinal)))
            total += await amqp.MessageCountAsync(queue);
        return total;
    }

    /// <summary>How many warning, error and critical lines a service logged, by category: what a fault cost in log noise.</summary>
    public static string WarningsByCategory(ServiceProcess service)
    {
        var noisy = service.Log.Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal)
                                           || l.Contains(" crit: ", StringComparison.Ordinal)).ToList();
        return $"{noisy.Count} warning/error lines in all, by category: " +
               string.Join(", ", noisy.GroupBy(l => l.Split(' ').ElementAtOrDefault(2) ?? "?").Select(g => $"{g.Key} {g.Count()}"));
    }

    /// <summary>A service's log lines that contain <paramref name="text"/>.</summary>
    public static List<string> LogLines(ServiceProcess service, string text) =>
        service.Log.Where(l => l.Contains(text, StringComparison.Ordinal)).ToList();

    /// <summary>Runs a script of scripts/ and returns its standard output; fails the test when it fails, unless <paramref name="mayFail"/>.</summary>
    public static Task<string> RunScriptAsync(string script, string arguments, bool mayFail = false) =>
        ExternalCommand.RunAsync("bash", $"{RepositoryFile("scripts/" + script)} {arguments}", mayFail);

    static string RepositoryFile(string path)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrderFulfillment.sln")))
            directory = directory.Parent;
        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("OrderFulfillment.sln not found"), path);
    }
}
