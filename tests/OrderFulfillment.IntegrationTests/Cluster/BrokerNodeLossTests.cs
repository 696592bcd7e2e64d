using System.Diagnostics;
using OrderFulfillment.IntegrationTests.Reliability;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// Both services, two instances each, on quorum queues of the local 3-node cluster (scripts/cluster-up.sh). Mid-burst
/// the node they are connected to goes away (stopped, or its VM killed) and comes back later: every order is delivered,
/// no event is lost, nothing is applied twice or backwards, and each fulfillment's events arrive in order.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class BrokerNodeLossTests(ITestOutputHelper output)
{
    const int Orders = 200;
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    static readonly TimeSpan NodeDown = TimeSpan.FromSeconds(10);

    /// <summary>Where the figures of each run are appended (beside the test assembly).</summary>
    public static string FiguresFile => Path.Combine(AppContext.BaseDirectory, "cluster-figures.txt");

    [Fact]
    public Task Node_the_services_use_stopped_mid_burst_loses_nothing() =>
        RunAsync("stop", ClusterBroker.StopNodeAsync);

    [Fact]
    public Task Node_the_services_use_killed_mid_burst_loses_nothing() =>
        RunAsync("kill", ClusterBroker.KillNodeAsync);

    async Task RunAsync(string how, Func<int, Task> takeDown)
    {
        await using var system = await ClusterSystem.StartAsync(how);
        await AssertQuorumQueuesAsync(system);

        var quorum = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        await using var events = await system.Amqp.ObserveAsync(quorum, "order.status_changed", "fulfillment.status_changed");
        var burst = new Burst(system.Amqp, events, Orders, how.ToUpperInvariant() + Guid.NewGuid().ToString("N")[..6]);
        var stopwatch = Stopwatch.StartNew();
        Task? outage = null;

        await burst.PublishOrdersAsync();
        try
        {
            await burst.DriveUntilDeliveredAsync(Timeout, async () =>
            {
                // A quarter of the way through: the outage runs beside the burst, which goes on meanwhile.
                if (outage is null && events.Events.Count > Orders * 2 * 9 / 4)
                {
                    var (node, connections, total) = await system.Broker.NodeOfServiceConnectionsAsync(answeringNode: 2);
                    Assert.True(node != ClusterBroker.ClientNode, "the services share a node with the test's client");
                    output.WriteLine($"{how}: {ClusterBroker.NodeName(node)} holds {connections} of {total} service connections; " +
                                     $"{how} it at {events.Events.Count} events ({stopwatch.Elapsed.TotalSeconds:0.0} s)");
                    outage = OutageAsync(node, takeDown, stopwatch);
                }
            });
        }
        catch (TimeoutException exception)
        {
            throw new TimeoutException($"{exception.Message}\n{ClusterFigures.Of(burst.OrderIds, events.Events, stopwatch.Elapsed)}\n{system.ServiceLogs()}",
                exception);
        }

        Assert.NotNull(outage);
        await outage;
        await system.UntilIdleAsync(TimeSpan.FromMinutes(1)); // redelivered copies still on their way are counted too
        var figures = ClusterFigures.Of(burst.OrderIds, events.Events, stopwatch.Elapsed);
        output.WriteLine($"cluster: {how}: {figures}");
        // scripts/test.sh prints this file: the console logger shows a passing test's output only when detailed.
        await File.AppendAllTextAsync(FiguresFile, $"cluster: {how}: {figures}\n");

        Assert.Equal(3, await ClusterBroker.RunningNodesAsync());
        Assert.All(system.Services, s => Assert.False(s.HasExited, "every service instance stays up"));
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.DuplicatesApplied);
        Assert.Equal(0, figures.Regressions);
        Assert.Equal(0, figures.OutOfOrder);
        Assert.Equal(Orders, figures.Delivered);
    }

    /// <summary>
    /// The service queues, and their error queues (made by moving one malformed message into each, which also creates the
    /// error exchanges that the delivery-limit policies dead-letter to), are quorum queues on all three nodes.
    /// </summary>
    static async Task AssertQuorumQueuesAsync(ClusterSystem system)
    {
        var queues = new (string Queue, string Exchange)[]
        {
            ("order-status", "order.confirmed"), ("fulfillment", "warehouse.picked"), ("fulfillment-order-events", "order.status_changed"),
        };
        foreach (var (queue, exchange) in queues)
        {
            await system.Amqp.PublishAsync(exchange, "{ not json", messageId: $"malformed-{queue}");
            await system.Amqp.WaitForQueueAsync(queue + "_error", 1, TimeSpan.FromSeconds(60));
            foreach (var name in new[] { queue, queue + "_error" })
            {
                var (type, replicas) = await system.Broker.QueueAsync(name);
                Assert.True(type == "quorum" && replicas == 3, $"{name} is a {type} queue on {replicas} nodes");
            }
        }
    }

    async Task OutageAsync(int node, Func<int, Task> takeDown, Stopwatch stopwatch)
    {
        await takeDown(node);
        output.WriteLine($"{ClusterBroker.NodeName(node)} down at {stopwatch.Elapsed.TotalSeconds:0.0} s");
        await Task.Delay(NodeDown); // the fault's duration: the node stays down this long
        await ClusterBroker.StartNodeAsync(node);
        output.WriteLine($"{ClusterBroker.NodeName(node)} running again at {stopwatch.Elapsed.TotalSeconds:0.0} s");
    }
}
