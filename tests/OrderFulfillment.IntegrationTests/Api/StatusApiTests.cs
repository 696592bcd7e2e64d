using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Api;

/// <summary>Every HTTP endpoint of both services against the running system: status, problems, health, metrics, OpenAPI.</summary>
[Trait("Category", "Integration")]
public sealed class StatusApiTests
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_status_endpoints_answer_with_state_and_problem_details()
    {
        await using var system = await SystemUnderTest.StartAsync("api");
        await using var events = await system.Amqp.ObserveAsync("fulfillment.status_changed");
        foreach (var id in new[] { "API-1", "API-2", "API-3" })
            await system.Amqp.PublishAsync("order.confirmed",
                $$"""{ "orderId": "{{id}}", "confirmedAt": "2026-11-24T10:00:00Z", "lines": [ { "sku": "SKU-1", "quantity": 2, "warehouseId": "WH-EAST" } ] }""");
        var planning = await events.WaitForAsync(e => e.Count(x => x.Text("status") == "planning") == 3, Wait, "three planning");
        var fulfillmentId = planning.First(x => x.Text("orderId") == "API-1" && x.Text("status") == "planning").Text("fulfillmentId");
        using var orders = system.Orders.Http();
        using var fulfillments = system.Fulfillments.Http();

        // The order service hears of the planning fulfillments a moment after they are announced.
        var deadline = DateTime.UtcNow + Wait;
        while ((await orders.GetFromJsonAsync<JsonElement>("orders?status=processing")).GetProperty("orders").GetArrayLength() < 3)
        {
            Assert.True(DateTime.UtcNow < deadline, "three orders processing");
            await Task.Delay(100); // the interval of a poll of the status API, not a quiet period
        }

        var order = await orders.GetFromJsonAsync<JsonElement>("orders/API-1");
        Assert.Equal("processing", order.GetProperty("status").GetString());
        Assert.NotEmpty(order.GetProperty("timeline").EnumerateArray());

        var page = await orders.GetFromJsonAsync<JsonElement>("orders?status=processing&limit=2");
        Assert.Equal(["API-1", "API-2"], page.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()));
        var next = await orders.GetFromJsonAsync<JsonElement>($"orders?status=processing&limit=2&after={page.GetProperty("next").GetString()}");
        Assert.Equal(["API-3"], next.GetProperty("orders").EnumerateArray().Select(o => o.GetProperty("orderId").GetString()));

        await AssertProblemAsync(orders, "orders/NOPE", HttpStatusCode.NotFound);
        await AssertProblemAsync(orders, "orders?status=lost", HttpStatusCode.BadRequest);
        await AssertProblemAsync(orders, "orders?limit=0", HttpStatusCode.BadRequest);

        var fulfillment = await fulfillments.GetFromJsonAsync<JsonElement>($"fulfillments/{fulfillmentId}");
        Assert.Equal("planning", fulfillment.GetProperty("status").GetString());
        Assert.Equal("WH-EAST", fulfillment.GetProperty("warehouseId").GetString());
        Assert.Equal(2, fulfillment.GetProperty("history").GetArrayLength());
        var ofOrder = await fulfillments.GetFromJsonAsync<JsonElement>("orders/API-1/fulfillments");
        Assert.Equal(1, ofOrder.GetArrayLength());
        await AssertProblemAsync(fulfillments, "fulfillments/not-a-uuid", HttpStatusCode.BadRequest);
        await AssertProblemAsync(fulfillments, $"fulfillments/{Guid.NewGuid()}", HttpStatusCode.NotFound);
        await AssertProblemAsync(fulfillments, "orders/NOPE/fulfillments", HttpStatusCode.NotFound);

        foreach (var http in new[] { orders, fulfillments })
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);
            var metrics = await http.GetStringAsync("metrics");
            foreach (var name in new[]
                     {
                         "orderfulfillment_outbox_backlog{", "orderfulfillment_outbox_oldest_age_seconds{", "orderfulfillment_saga_transitions_total{",
                         "messaging_masstransit_receive_total{", "messaging_masstransit_receive_duration_seconds_bucket{", "messaging_masstransit_receive_active{",
                         "http_server_request_duration_seconds_bucket{", "process_memory_usage_bytes{", "process_cpu_time_seconds_total{",
                         "dotnet_gc_collections_total{", "dotnet_thread_pool_queue_length{",
                     })
                Assert.Contains(name, metrics);
            AssertPrometheusConventions(metrics);
            var openApi = await http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
            Assert.True(openApi.GetProperty("paths").EnumerateObject().Any());
            // No keys configured: the scheme is declared, but no endpoint requires it or answers 401 (OpenApiTests has the keyed case).
            Assert.Equal("X-Api-Key", openApi.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
            Assert.DoesNotContain("\"401\"", openApi.GetRawText());
        }
    }

    /// <summary>Counters end in _total and nothing else does; durations are seconds; this system's own names start with orderfulfillment_.</summary>
    static void AssertPrometheusConventions(string metrics)
    {
        var types = metrics.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToList();
        Assert.NotEmpty(types);
        foreach (var type in types)
        {
            var (name, kind) = (type[2], type[3]);
            Assert.True(name.EndsWith("_total", StringComparison.Ordinal) == (kind == "counter"), $"{name} is a {kind}");
            Assert.DoesNotContain("_milliseconds", name);
            Assert.False(name.EndsWith("_ea_total", StringComparison.Ordinal) || name.Contains("_ea_", StringComparison.Ordinal), name);
            Assert.False(name.StartsWith("outbox_", StringComparison.Ordinal), $"{name} has no orderfulfillment_ prefix");
        }
    }

    static async Task AssertProblemAsync(HttpClient http, string path, HttpStatusCode status)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
