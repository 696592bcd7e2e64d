using System.Runtime.Serialization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OrderFulfillment.Messaging;

/// <summary>
/// One retry policy for every endpoint. Transient failures (database connection, serialization or concurrency
/// conflicts, broker hiccups, an order not known yet) are retried with exponential backoff inside the consumer, each
/// attempt with a fresh scope and transaction; messages no retry can mend (invalid or malformed, an unknown
/// fulfillment, a rejected step) go to the error queue at once. Each retry is one Information line: a concurrency
/// conflict between two messages of one saga is the normal case, not a warning with a stack trace.
/// </summary>
public static partial class MessageRetryPolicy
{
    public static void UseContractRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.GetRequiredService<ILoggerFactory>().CreateLogger("OrderFulfillment.Retries");
        endpoint.UseMessageRetry(retry =>
        {
            retry.Exponential(10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(4), TimeSpan.FromMilliseconds(150));
            retry.Ignore<PermanentMessageException>();
            retry.Ignore<JsonException>();
            retry.Ignore<SerializationException>();
            retry.Ignore<FormatException>();
            retry.ConnectRetryObserver(new RetryLog(logger));
        });
    }

    sealed partial class RetryLog(ILogger logger) : IRetryObserver
    {
        public Task PreRetry<T>(RetryContext<T> context)
            where T : class, PipeContext
        {
            var exception = context.Exception.GetBaseException();
            var (messageType, messageId) = context.Context is ConsumeContext consume
                ? (consume.SupportedMessageTypes.FirstOrDefault() ?? "unknown", consume.MessageId?.ToString() ?? "none")
                : ("unknown", "none");
            LogRetrying(messageType, messageId, context.RetryAttempt + 1, context.Delay?.TotalMilliseconds ?? 0, exception.GetType().Name,
                exception.Message);
            return Task.CompletedTask;
        }

        public Task PostCreate<T>(RetryPolicyContext<T> context) where T : class, PipeContext => Task.CompletedTask;

        public Task PostFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

        public Task RetryFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

        public Task RetryComplete<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

        [LoggerMessage(EventId = 9101, Level = LogLevel.Information,
            Message = "Retrying {MessageType} {MessageId} (attempt {Attempt}, in {DelayMs} ms) after {Reason}: {ReasonMessage}")]
        partial void LogRetrying(string messageType, string messageId, int attempt, double delayMs, string reason, string reasonMessage);
    }
}
