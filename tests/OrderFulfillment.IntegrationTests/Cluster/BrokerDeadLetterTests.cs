using System.Globalization;
using System.Net;
using Npgsql;
using OrderFulfillment.IntegrationTests.Cli;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cluster;

/// <summary>
/// A message that its consumer gives back again and again is dead-lettered by the broker itself, over the quorum queue's
/// <c>delivery-limit</c> policy, to <c>&lt;queue&gt;_error</c>: the services declare every error exchange and queue at
/// start, so it lands there (with RabbitMQ's <c>x-death</c>), and <c>ofctl errors</c> shows and replays it.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class BrokerDeadLetterTests(ITestOutputHelper output)
{
    static readonly string[] ServiceQueues = ["order-status", "fulfillment", "fulfillment-order-events"];

    [Fact]
    public async Task A_message_over_the_delivery_limit_lands_in_the_error_queue_declared_at_start_and_is_replayed()
    {
        await using var broker = await ClusterBroker.StartAsync("dlx");
        var databases = broker.ServiceDatabases("d");
        var environment = broker.ServiceEnvironment(databases);
        try
        {
            await using var orders = await ServiceProcess.StartOrderServiceAsync(environment);
            await using var fulfillments = await ServiceProcess.StartFulfillmentServiceAsync(environment);
            await using var amqp = await PlainAmqp.ConnectAsync(broker.VirtualHost, ClusterBroker.ClientEndpoints);

            // Before any message failed: every error queue is there, a quorum queue on the three nodes, empty.
            foreach (var queue in ServiceQueues)
            {
                var (type, replicas) = await broker.QueueAsync(queue + "_error");
                Assert.True(type == "quorum" && replicas == 3, $"{queue}_error is a {type} queue on {replicas} nodes");
                Assert.Equal(0u, await amqp.MessageCountAsync(queue + "_error"));
            }

            // No order service consumes order-status now; a consumer that fails hard gives the message back each time.
            await orders.KillAsync();
            var orderId = "DLX-" + Guid.NewGuid().ToString("N")[..8];
            await amqp.PublishAsync("order.confirmed", new
            {
                orderId,
                confirmedAt = DateTimeOffset.UtcNow,
                lines = new object[] { new { sku = "SKU-1", quantity = 1, warehouseId = "WH-EAST" } },
            }, $"checkout-{orderId}");
            await amqp.WaitForQueueAsync("order-status", 1, TimeSpan.FromSeconds(30));
            var deliveries = 0;
            while (await amqp.RejectAndRequeueAsync("order-status"))
            {
                deliveries++;
                Assert.True(deliveries <= 40, "the broker did not dead-letter the message within 40 deliveries");
            }

            await amqp.WaitForQueueAsync("order-status_error", 1, TimeSpan.FromSeconds(30));
            var ofctl = new Ofctl(output);
            string[] connection =
            [
                "--host", "127.0.0.1", "--port", ClusterBroker.AmqpPort(ClusterBroker.ClientNode).ToString(CultureInfo.InvariantCulture),
                "--vhost", broker.VirtualHost, "--username", TestInfrastructure.RabbitUser, "--password", TestInfrastructure.RabbitPassword,
                "--management-port", ClusterBroker.ManagementPort(ClusterBroker.ClientNode).ToString(CultureInfo.InvariantCulture),
                "--order-service", orders.BaseAddress.ToString(), "--fulfillment-service", fulfillments.BaseAddress.ToString(),
            ];
            var list = await ofctl.SucceedAsync(["errors", "list", "--verbose", .. connection]);
            Assert.Contains("order-status_error", list.Output, StringComparison.Ordinal);
            Assert.Contains("delivery_limit", list.Output, StringComparison.Ordinal);
            Assert.Contains($"checkout-{orderId}", list.Output, StringComparison.Ordinal);
            Assert.Contains("order.confirmed", list.Output, StringComparison.Ordinal);

            var message = await amqp.PeekAsync("order-status_error");
            Assert.NotNull(message);
            var headers = message.BasicProperties.Headers!;
            Assert.True(headers.ContainsKey("x-death"), "the broker's x-death header");
            Assert.Equal("delivery_limit", message.Header("x-first-death-reason"));
            Assert.Equal("order-status", message.Header("x-first-death-queue"));

            await orders.StartAsync();
            await ofctl.SucceedAsync(["errors", "replay", "--queue", "order-status_error", "--all", .. connection]);
            using var http = orders.Http();
            var confirmedBy = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((await http.GetAsync($"orders/{orderId}")).StatusCode != HttpStatusCode.OK)
            {
                Assert.True(DateTime.UtcNow < confirmedBy, "the replayed order.confirmed was applied within 60 s");
                await Task.Delay(200); // the interval of a poll of the status API, not a quiet period
            }
            Assert.Equal(0u, await amqp.MessageCountAsync("order-status_error"));
            output.WriteLine($"delivery limit: {deliveries} deliveries given back, then dead-lettered by RabbitMQ to order-status_error " +
                             $"(x-first-death-reason delivery_limit); ofctl listed and replayed it; order {orderId} confirmed");
        }
        finally
        {
            await TestInfrastructure.DropDatabasesAsync(databases);
        }
    }
}
