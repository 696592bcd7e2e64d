using OrderFulfillment.Contracts;
using System.Net;
using System.Text.Json;

namespace OrderFulfillment.Operations.Connections;

/// <summary>The services' read-only status APIs; the API key, when given, goes as header <c>X-Api-Key</c>.</summary>
public sealed class ServiceApi : IDisposable
{
    public const string ApiKeyHeader = "X-Api-Key";

    readonly HttpClient _http;
    readonly ConnectionSettings _settings;

    public ServiceApi(ConnectionSettings settings)
    {
        _settings = settings;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        if (!string.IsNullOrEmpty(settings.ApiKey))
            _http.DefaultRequestHeaders.Add(ApiKeyHeader, settings.ApiKey);
    }

    /// <summary>GET {order-service}/orders/{orderId}; null when the order service does not know the order.</summary>
    public Task<JsonElement?> GetOrderAsync(string orderId, CancellationToken ct) =>
        GetAsync("order service", _settings.OrderService, $"orders/{Uri.EscapeDataString(orderId)}", ct);

    /// <summary>GET {fulfillment-service}/orders/{orderId}/fulfillments; null when no fulfillment of the order exists.</summary>
    public Task<JsonElement?> GetOrderFulfillmentsAsync(string orderId, CancellationToken ct) =>
        GetAsync("fulfillment service", _settings.FulfillmentService, $"orders/{Uri.EscapeDataString(orderId)}/fulfillments", ct);

    /// <summary>GET {fulfillment-service}/fulfillments/{fulfillmentId}; null when there is no such fulfillment.</summary>
    public Task<JsonElement?> GetFulfillmentAsync(Guid fulfillmentId, CancellationToken ct) =>
        GetAsync("fulfillment service", _settings.FulfillmentService, $"fulfillments/{fulfillmentId}", ct);

    /// <summary>GET {order-service}/orders?status=&amp;after=&amp;limit=&amp;updatedBefore=: one page of orders, by order id.</summary>
    public async Task<JsonElement> ListOrdersAsync(string? status, string? after, int limit, DateTimeOffset? updatedBefore, CancellationToken ct)
    {
        var query = new List<string> { $"limit={limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}" };
        if (status is not null)
            query.Add($"status={Uri.EscapeDataString(status)}");
        if (after is not null)
            query.Add($"after={Uri.EscapeDataString(after)}");
        if (updatedBefore is { } before)
            query.Add($"updatedBefore={Uri.EscapeDataString(ContractTimestamps.Write(before))}");
        return await GetAsync("order service", _settings.OrderService, "orders?" + string.Join('&', query), ct)
               ?? throw OperationException.Failed("the order service has no order list (GET /orders answered 404)");
    }

    /// <summary>
    /// POST {fulfillment-service}/fulfillments/{fulfillmentId}/announce: the fulfillment service publishes the fulfillment's
    /// current state again with its last sequence. False when it knows no such fulfillment.
    /// </summary>
    public async Task<bool> AnnounceFulfillmentAsync(Guid fulfillmentId, CancellationToken ct)
    {
        var uri = new Uri(WithTrailingSlash(_settings.FulfillmentService), $"fulfillments/{fulfillmentId}/announce");
        using (var response = await HttpCalls.SendAsync(_http, new HttpRequestMessage(HttpMethod.Post, uri), $"the fulfillment service at {_settings.FulfillmentService}", ct))
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                return false;
            if (!response.IsSuccessStatusCode)
                throw OperationException.Failed($"the fulfillment service answered POST {uri.AbsolutePath} with {(int)response.StatusCode} " +
                                                $"{response.ReasonPhrase}: {Problem(await response.Content.ReadAsStringAsync(ct))}");
            return true;
        }
    }

    /// <summary>GET /health/ready of one service: its answer, or why there was none.</summary>
    public async Task<Readiness> GetReadinessAsync(Uri service, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.GetAsync(new Uri(WithTrailingSlash(service), "health/ready"), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return new Readiness(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}".Trim(), System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (HttpRequestException exception)
        {
            return new Readiness(false, $"unreachable: {exception.Message}", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Readiness(false, "no answer in time", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    async Task<JsonElement?> GetAsync(string service, Uri baseAddress, string path, CancellationToken ct)
    {
        var uri = new Uri(WithTrailingSlash(baseAddress), path);
        using (var response = await HttpCalls.SendAsync(_http, new HttpRequestMessage(HttpMethod.Get, uri), $"the {service} at {baseAddress}", ct))
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return null;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw OperationException.Failed($"the {service} refused GET {uri.AbsolutePath} ({(int)response.StatusCode} {response.ReasonPhrase}): check --api-key / OFCTL_API_KEY");
            if (!response.IsSuccessStatusCode)
                throw OperationException.Failed($"the {service} answered GET {uri.AbsolutePath} with {(int)response.StatusCode} {response.ReasonPhrase}: {Problem(text)}");
            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException exception)
            {
                throw OperationException.Failed($"the {service} answered GET {uri.AbsolutePath} with something that is not JSON: {exception.Message}");
            }
        }
    }

    /// <summary>The detail (or title) of a ProblemDetails body, else the body itself, shortened.</summary>
    static string Problem(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if ((document.RootElement.Text("detail") ?? document.RootElement.Text("title")) is { } detail)
                return detail;
        }
        catch (JsonException)
        {
        }

        return body.Length <= 200 ? body : body[..200] + "…";
    }

    static Uri WithTrailingSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    public void Dispose() => _http.Dispose();
}

/// <summary>A service's /health/ready: ready or not, what it said, and how long it took.</summary>
public sealed record Readiness(bool IsReady, string Detail, TimeSpan Took);
