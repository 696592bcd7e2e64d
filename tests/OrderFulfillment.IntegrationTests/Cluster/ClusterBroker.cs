using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderFulfillment.TestSupport;
using RabbitMQ.Client;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// The local 3-node RabbitMQ cluster of scripts/cluster-up.sh (rabbit-c1..c3@localhost, AMQP 5681-5683, management
/// 15681-15683), brought up through that script, with a fresh vhost per test that carries the services' policies.
/// Nodes are stopped, killed and started through scripts/cluster-node.sh.
/// </summary>
public sealed class ClusterBroker : IAsyncDisposable
{
    static readonly string[] ServiceQueues = ["order-status", "fulfillment", "fulfillment-order-events"];

    ClusterBroker(string vhost) => VirtualHost = vhost;

    public string VirtualHost { get; }

    public static IReadOnlyList<int> Nodes { get; } = [1, 2, 3];

    public static string NodeName(int node) => $"rabbit-c{node}@localhost";

    internal static int AmqpPort(int node) => 5680 + node;

    internal static int ManagementPort(int node) => 15680 + node;

    /// <summary>What the services get as <c>RabbitMq__Hosts</c>: every node, tried in this order.</summary>
    public static string Hosts => string.Join(",", Nodes.Select(n => $"127.0.0.1:{AmqpPort(n).ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>The node the test's own client (the producers and the observer) uses; the test never takes it down.</summary>
    public const int ClientNode = 3;

    /// <summary>
    /// Only <see cref="ClientNode"/>: the services try the nodes first to last, so they start on node 1 and move to node 2,
    /// and what the test publishes and observes is not disturbed by the node it takes down.
    /// </summary>
    public static IReadOnlyList<AmqpTcpEndpoint> ClientEndpoints => [new AmqpTcpEndpoint("127.0.0.1", AmqpPort(ClientNode))];

    /// <summary>Runs scripts/cluster-up.sh (idempotent; fails the test when the cluster cannot be started) and makes a vhost.</summary>
    public static async Task<ClusterBroker> StartAsync(string purpose)
    {
        await RunScriptAsync("cluster-up.sh");
        var vhost = $"cluster-{purpose}-{Guid.NewGuid():N}"[..40];
        using var http = Management(1);
        var escaped = Uri.EscapeDataString(vhost);
        (await http.PutAsync($"api/vhosts/{escaped}", null)).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync($"api/permissions/{escaped}/{Uri.EscapeDataString(TestInfrastructure.RabbitUser)}",
            new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        // The same policies as cluster-up.sh sets on "/" (docs/operations.md, "Running on a RabbitMQ cluster").
        foreach (var queue in ServiceQueues)
            (await http.PutAsJsonAsync($"api/policies/{escaped}/orderfulfillment-{queue}", new Dictionary<string, object>
            {
                ["pattern"] = $"^{queue}$",
                ["apply-to"] = "queues",
                ["priority"] = 10,
                ["definition"] = new Dictionary<string, object> { ["delivery-limit"] = 20, ["dead-letter-exchange"] = queue + "_error" },
            })).EnsureSuccessStatusCode();
        return new ClusterBroker(vhost);
    }

    /// <summary>The environment that points a service at the cluster, with quorum queues.</summary>
    public Dictionary<string, string> ServiceEnvironment() => new()
    {
        ["RabbitMq__Hosts"] = Hosts,
        ["RabbitMq__QuorumQueues"] = "true",
        ["RabbitMq__QuorumReplicationFactor"] = "3",
        ["RabbitMq__VirtualHost"] = VirtualHost,
        ["RabbitMq__Username"] = TestInfrastructure.RabbitUser,
        ["RabbitMq__Password"] = TestInfrastructure.RabbitPassword,
    };

    /// <summary>The services' two databases for this vhost, orders and fulfillments; <paramref name="test"/> keeps each test's apart.</summary>
    public string[] ServiceDatabases(string test)
    {
        var suffix = VirtualHost[8..].Replace('-', '_');
        return [$"{test}_{suffix}_orders", $"{test}_{suffix}_fulfillments"];
    }

    /// <summary>
    /// <see cref="ServiceEnvironment()"/> with the services' databases (<see cref="ServiceDatabases"/>) on the test server, and
    /// lines without a warehouse routed to <c>WH-CENTRAL</c>.
    /// </summary>
    public Dictionary<string, string> ServiceEnvironment(string[] databases)
    {
        ArgumentNullException.ThrowIfNull(databases);
        var environment = ServiceEnvironment();
        environment["ConnectionStrings__OrderDb"] = $"{TestInfrastructure.PostgresServer};Database={databases[0]}";
        environment["ConnectionStrings__FulfillmentDb"] = $"{TestInfrastructure.PostgresServer};Database={databases[1]}";
        environment["WarehouseRouting__DefaultWarehouse"] = "WH-CENTRAL";
        return environment;
    }

    /// <summary>The node that holds most of this vhost's connections other than the test's own client.</summary>
    public async Task<(int Node, int Connections, int Total)> NodeOfServiceConnectionsAsync(int answeringNode)
    {
        using var http = Management(answeringNode);
        var connections = await http.GetFromJsonAsync<JsonElement>($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}/connections");
        var nodes = connections.EnumerateArray()
            .Where(c => !(c.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var name) &&
                          name.GetString() == PlainAmqp.ClientName))
            .Select(c => c.GetProperty("node").GetString()!)
            .ToList();
        Assert.True(nodes.Count > 0, $"no service connection on vhost {VirtualHost}");
        var busiest = nodes.GroupBy(n => n).MaxBy(g => g.Count())!;
        return (Nodes.Single(n => NodeName(n) == busiest.Key), busiest.Count(), nodes.Count);
    }

    /// <summary>The queue's type, and on how many nodes its replicas run (one for a classic queue).</summary>
    public async Task<(string Type, int Replicas)> QueueAsync(string queue)
    {
        using var http = Management(1);
        var info = await http.GetFromJsonAsync<JsonElement>($"api/queues/{Uri.EscapeDataString(VirtualHost)}/{Uri.EscapeDataString(queue)}");
        var type = info.GetProperty("type").GetString()!;
        var replicas = info.TryGetProperty("members", out var members) ? members.GetArrayLength() : 1;
        return (type, replicas);
    }

    public static Task StopNodeAsync(int node) => RunScriptAsync("cluster-node.sh", "stop", node.ToString(CultureInfo.InvariantCulture));

    public static Task KillNodeAsync(int node) => RunScriptAsync("cluster-node.sh", "kill", node.ToString(CultureInfo.InvariantCulture));

    public static Task StartNodeAsync(int node) => RunScriptAsync("cluster-node.sh", "start", node.ToString(CultureInfo.InvariantCulture));

    /// <summary>Raises node's disk alarm without filling the disk (its <c>disk_free_limit</c> above the free space).</summary>
    public static Task RaiseDiskAlarmAsync(int node) => RunScriptAsync("cluster-node.sh", "disk-alarm", node.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets node's <c>disk_free_limit</c> back to the configured one: the alarm clears.</summary>
    public static Task ClearDiskAlarmAsync(int node) => RunScriptAsync("cluster-node.sh", "disk-ok", node.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether a resource alarm is in effect anywhere in the cluster (the management API's health check answers 503).</summary>
    public static async Task<bool> AlarmInEffectAsync()
    {
        using var http = Management(ClientNode);
        using var response = await http.GetAsync("api/health/checks/alarms");
        return response.StatusCode == HttpStatusCode.ServiceUnavailable;
    }

    /// <summary>Every node is a running member again (the next test needs the whole cluster).</summary>
    public static async Task<int> RunningNodesAsync()
    {
        using var http = Management(1);
        var nodes = await http.GetFromJsonAsync<JsonElement>("api/nodes");
        return nodes.EnumerateArray().Count(n => n.GetProperty("running").GetBoolean());
    }

    internal static HttpClient Management(int node)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ManagementPort(node)}/"), Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestInfrastructure.RabbitUser}:{TestInfrastructure.RabbitPassword}")));
        return http;
    }

    static async Task RunScriptAsync(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "scripts", script), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"scripts/{script} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrderFulfillment.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("OrderFulfillment.sln not found above " + AppContext.BaseDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            try
            {
                using var http = Management(node);
                await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(VirtualHost)}");
                return;
            }
            catch (HttpRequestException)
            {
                // that node is down: another one deletes the vhost
            }
        }
    }
}
