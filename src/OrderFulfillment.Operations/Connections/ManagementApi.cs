using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace OrderFulfillment.Operations.Connections;

/// <summary>The RabbitMQ management HTTP API, for what AMQP cannot do: list queues, and peek at messages without removing them.</summary>
public sealed class ManagementApi : IDisposable
{
    readonly HttpClient _http;
    readonly ConnectionSettings _settings;

    public ManagementApi(ConnectionSettings settings)
    {
        _settings = settings;
        _http = new HttpClient { BaseAddress = settings.ManagementApi, Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}")));
    }

    string VirtualHost => Uri.EscapeDataString(_settings.VirtualHost);

    /// <summary>
    /// GET /api/queues/{vhost}: the names of the vhost's queues. (Its message counts are statistics, refreshed every few
    /// seconds: exact counts come from AMQP, see <see cref="Broker.QueueMessageCountAsync"/>.)
    /// </summary>
    public async Task<IReadOnlyList<string>> ListQueuesAsync(CancellationToken ct)
    {
        var queues = await SendAsync(new HttpRequestMessage(HttpMethod.Get, $"api/queues/{VirtualHost}?columns=name"), $"vhost '{_settings.VirtualHost}'", ct);
        return [.. queues.EnumerateArray().Select(q => q.Text("name")).OfType<string>()];
    }

    /// <summary>
    /// GET /api/queues/{vhost}: every queue with its depth (ready, unacknowledged) and consumers, as the broker's
    /// statistics had them a few seconds ago.
    /// </summary>
    public async Task<IReadOnlyList<QueueDepth>> ListQueueDepthsAsync(CancellationToken ct)
    {
        var queues = await SendAsync(new HttpRequestMessage(HttpMethod.Get,
            $"api/queues/{VirtualHost}?columns=name,messages,messages_ready,messages_unacknowledged,consumers"), $"vhost '{_settings.VirtualHost}'", ct);
        return [.. queues.EnumerateArray().Select(q => new QueueDepth(q.Text("name") ?? "?", q.Number("messages") ?? 0, q.Number("messages_ready") ?? 0,
            q.Number("messages_unacknowledged") ?? 0, q.Number("consumers") ?? 0)).OrderBy(q => q.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// POST /api/queues/{vhost}/{queue}/get with <c>ack_requeue_true</c>: reads up to <paramref name="count"/> messages and
    /// puts them back, so nothing is removed.
    /// </summary>
    public async Task<IReadOnlyList<JsonElement>> PeekAsync(string queue, int count, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/queues/{VirtualHost}/{Uri.EscapeDataString(queue)}/get")
        {
            Content = JsonContent.Create(new { count, ackmode = "ack_requeue_true", encoding = "auto", truncate = 1_000_000 }),
        };
        var messages = await SendAsync(request, $"queue '{queue}' in vhost '{_settings.VirtualHost}'", ct);
        return [.. messages.EnumerateArray()];
    }

    async Task<JsonElement> SendAsync(HttpRequestMessage request, string what, CancellationToken ct)
    {
        using (request)
        {
            using (var response = await HttpCalls.SendAsync(_http, request, $"RabbitMQ's management API at {_settings.ManagementApi}", ct))
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                    throw OperationException.Failed($"not found: {what}");
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    throw OperationException.Unreachable(
                        $"RabbitMQ's management API refused user '{_settings.Username}' ({(int)response.StatusCode}): it needs a management (or administrator) tag");
                }

                if (!response.IsSuccessStatusCode)
                    throw OperationException.Failed($"RabbitMQ's management API answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}");
                using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
                return document.RootElement.Clone();
            }
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>A queue and the number of messages ready in it.</summary>
public sealed record QueueInfo(string Name, long Messages);

/// <summary>A queue's depth from the management API's statistics.</summary>
public sealed record QueueDepth(string Name, long Messages, long Ready, long Unacknowledged, int Consumers);
