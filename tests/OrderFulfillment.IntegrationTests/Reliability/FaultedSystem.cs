using System.Diagnostics;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Reliability;

/// <summary>Both services under a fault of the database they use: started on a PostgreSQL cluster of the test's own, then what they left once it is over.</summary>
internal static class FaultedSystem
{
    /// <summary>Both services with their databases (orders, fulfillments) on <paramref name="server"/>, which they create and migrate.</summary>
    public static Task<SystemUnderTest> StartOnAsync(string purpose, string server, string[] databases) =>
        SystemUnderTest.StartAsync(purpose, environment =>
        {
            environment["ConnectionStrings__OrderDb"] = $"{server};Database={databases[0]}";
            environment["ConnectionStrings__FulfillmentDb"] = $"{server};Database={databases[1]}";
        });

    /// <summary>
    /// Once the fault is over: waits until every fulfillment has completed and both services are ready, then checks what
    /// the fault left behind, fulfillments not complete and in order and messages in the error queues.
    /// </summary>
    public static async Task<Recovery> RecoveryAsync(SystemUnderTest system, TestSupport.EventLog events, IReadOnlyList<string> fulfillmentIds, string after)
    {
        var clock = Stopwatch.StartNew();
        await events.WaitForAsync(e => WarehouseRounds.FulfillmentsAt(e, "completed").Count == fulfillmentIds.Count, TimeSpan.FromMinutes(3),
            $"every fulfillment completed {after}");
        var lastEvent = clock.Elapsed;
        await FaultChecks.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), system.Orders, system.Fulfillments);

        var problems = await FaultChecks.NotCompleteInOrderAsync(events.Events, fulfillmentIds, system.Fulfillments);
        using var management = TestInfrastructure.ManagementClient();
        var errorQueues = await FaultChecks.ErrorQueueMessagesAsync(management, system.Infrastructure.VirtualHost, system.Amqp);
        return new Recovery(lastEvent, problems, errorQueues);
    }
}

/// <summary>What a fault left: how long after its end the last event came, the fulfillments not complete and in order, the messages in error queues.</summary>
internal sealed record Recovery(TimeSpan LastEvent, List<string> Problems, long ErrorQueueMessages);
