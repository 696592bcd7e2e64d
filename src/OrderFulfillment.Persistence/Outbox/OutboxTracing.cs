using System.Diagnostics;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Carries a message's trace across the outbox. When a consumer publishes, the trace context current then (the span of
/// the consumer or saga that published) is stored with the row (<see cref="StoredMessage.TraceParent"/>, column
/// <c>trace_parent</c>). Delivery runs later on a background service with no trace of its own, so without it MassTransit's
/// send would start a new trace. For each row, delivery starts an <c>outbox deliver</c> span that is a child of the stored
/// context; the send inside it, and so the consumer at the other end, continue the publisher's trace.
/// </summary>
internal static class OutboxTracing
{
    public const string SourceName = "OrderFulfillment.Persistence";

    static readonly ActivitySource Source = new(SourceName);

    /// <summary>The W3C <c>traceparent</c> of the current span, or null when there is none (tracing off, or an id in another format).</summary>
    public static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Starts the delivery span of one row under its stored context; null when nothing listens or the row has none.</summary>
    public static Activity? StartDeliver(StoredMessage message)
    {
        if (message.TraceParent is null || !ActivityContext.TryParse(message.TraceParent, null, out var parent))
            return null;
        var activity = Source.StartActivity("outbox deliver", ActivityKind.Internal, parent);
        activity?.SetTag("messaging.message.id", message.MessageId.ToString("D"));
        activity?.SetTag("messaging.destination.name", message.DestinationAddress?.AbsolutePath.Trim('/'));
        return activity;
    }
}
