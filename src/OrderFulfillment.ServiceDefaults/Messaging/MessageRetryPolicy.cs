using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;

namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>
/// One retry policy for every endpoint. Transient failures (database connection, serialization or concurrency
/// conflicts, broker hiccups, an order not known yet) are retried with exponential backoff inside the consumer, each
/// attempt with a fresh scope and transaction; messages no retry can mend (invalid or malformed, an unknown
/// fulfillment, a rejected step) go to the error queue at once.
/// </summary>
public static class MessageRetryPolicy
{
    public static void UseContractRetry(this IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(150));
            retry.Ignore<PermanentMessageException>();
            retry.Ignore<JsonException>();
            retry.Ignore<SerializationException>();
            retry.Ignore<FormatException>();
        });
    }
}
