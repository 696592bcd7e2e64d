using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrderFulfillment.TestSupport;

namespace OrderFulfillment.IntegrationTests.Api;

/// <summary>/openapi/v1.json of both services, with API keys configured: each endpoint's schemas, problems and the key.</summary>
[Trait("Category", "Integration")]
public sealed class OpenApiTests
{
    const string Key = "openapi-s3cret";
    const string Problem = "#/components/schemas/ProblemDetails";

    [Fact]
    public async Task The_documents_declare_each_endpoints_schemas_its_problems_and_the_api_key()
    {
        await using var system = await SystemUnderTest.StartAsync("openapi", env => env["ApiKeys__0"] = Key);
        using var orders = system.Orders.Http();
        using var fulfillments = system.Fulfillments.Http();

        // The document itself is behind the key, like every endpoint but /health/* and /metrics.
        Assert.Equal(HttpStatusCode.Unauthorized, (await orders.GetAsync("openapi/v1.json")).StatusCode);
        var orderApi = await DocumentAsync(orders);
        var fulfillmentApi = await DocumentAsync(fulfillments);

        AssertOperation(orderApi, "/orders/{orderId}", "#/components/schemas/OrderView", "404");
        AssertOperation(orderApi, "/orders", "#/components/schemas/OrderPage", "400");
        AssertOperation(fulfillmentApi, "/fulfillments/{fulfillmentId}", "#/components/schemas/FulfillmentView", "400", "404");
        AssertOperation(fulfillmentApi, "/orders/{orderId}/fulfillments", "array of #/components/schemas/FulfillmentView", "404");
        AssertOperation(fulfillmentApi, "/fulfillments/overdue", "array of #/components/schemas/FulfillmentView", "400");

        foreach (var document in new[] { orderApi, fulfillmentApi })
        {
            var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
            Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
            Assert.Equal("header", scheme.GetProperty("in").GetString());
            Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
            Assert.DoesNotContain("/health/ready", document.GetProperty("paths").EnumerateObject().Select(p => p.Name));
        }

        var orderView = orderApi.GetProperty("components").GetProperty("schemas").GetProperty("OrderView").GetProperty("properties");
        foreach (var property in new[] { "orderId", "status", "lines", "fulfillments", "timeline" })
            Assert.True(orderView.TryGetProperty(property, out _), $"OrderView has {property}");
        var fulfillmentView = fulfillmentApi.GetProperty("components").GetProperty("schemas").GetProperty("FulfillmentView").GetProperty("properties");
        Assert.Equal("integer", fulfillmentView.GetProperty("sequence").GetProperty("type").GetString());

        async Task<JsonElement> DocumentAsync(HttpClient http)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "openapi/v1.json");
            request.Headers.Add("X-Api-Key", Key);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }
    }

    /// <summary>A GET with a summary, its 200 schema, each problem it can answer as ProblemDetails, the 401, and the key as its security.</summary>
    static void AssertOperation(JsonElement document, string path, string okSchema, params string[] problems)
    {
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is in the document");
        var operation = item.GetProperty("get");
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{path} has a summary");
        Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("description").GetString()), $"{path} has a description");
        var responses = operation.GetProperty("responses");
        Assert.Equal(okSchema, Schema(responses, "200", "application/json"));
        foreach (var status in problems.Append("401"))
            Assert.Equal(Problem, Schema(responses, status, "application/problem+json"));
        Assert.Equal(["ApiKey"], operation.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject()).Select(r => r.Name));
    }

    static string Schema(JsonElement responses, string status, string contentType)
    {
        Assert.True(responses.TryGetProperty(status, out var response), $"a {status} response");
        var schema = response.GetProperty("content").GetProperty(contentType).GetProperty("schema");
        return schema.TryGetProperty("items", out var items)
            ? "array of " + items.GetProperty("$ref").GetString()
            : schema.GetProperty("$ref").GetString()!;
    }
}
