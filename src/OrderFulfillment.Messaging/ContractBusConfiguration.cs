using System.Text.Json;
using System.Text.Json.Serialization;
using MassTransit;
using MassTransit.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Messaging;

/// <summary>How both services talk to RabbitMQ: the contract's exchange names, plain JSON in, and the endpoint pipeline.</summary>
public static class ContractBusConfiguration
{
    /// <summary>
    /// RabbitMQ from <see cref="RabbitMqOptions"/>, with publisher confirms and the contract's topology; every endpoint is
    /// configured by its registered definition.
    /// </summary>
    public static void UsingContractRabbitMq(this IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        // MassTransit would report usage to its vendor's server: nothing leaves the deployment unasked.
        bus.DisableUsageTelemetry();
        bus.TryAddSingleton<BrokerFlowControl>();
        bus.UsingRabbitMq((context, cfg) =>
        {
            var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
            var nodes = RabbitMqNodes.Of(options);
            cfg.Host(nodes[0].Host, (ushort)nodes[0].Port, options.VirtualHost, host =>
            {
                if (nodes.Count > 1)
                    host.UseCluster(cluster => { foreach (var node in nodes) cluster.Node(node.ToString()); });
                host.Username(options.Username);
                host.Password(options.Password);
                host.PublisherConfirmation = true;
                host.RequestedConnectionTimeout(TimeSpan.FromSeconds(5));
            });
            cfg.PrefetchCount = options.PrefetchCount;
            cfg.ConcurrentMessageLimit = options.ConcurrentMessageLimit;
            cfg.ConfigureContractMessages();
            cfg.UseContractQueueType(options);
            cfg.DeclareErrorQueuesAtStart();
            context.GetRequiredService<BrokerFlowControl>().WatchConnections(cfg);
            cfg.ConfigureEndpoints(context);
        });
    }

    /// <summary>
    /// Names each contract message's exchange as the contract does, accepts plain JSON typed by its exchange, and writes
    /// timestamps as UTC ISO-8601. Harness tests call it too, so they see what production sees.
    /// </summary>
    public static void ConfigureContractMessages(this IBusFactoryConfigurator cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (cfg.MessageTopology.EntityNameFormatter is not ContractEntityNameFormatter)
            cfg.MessageTopology.SetEntityNameFormatter(new ContractEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter));

        cfg.AddDeserializer(new Utf8CheckedSerializerFactory(new ExchangeTypedJsonSerializerFactory()));
        cfg.AddDeserializer(new Utf8CheckedSerializerFactory(new MassTransit.Configuration.SystemTextJsonMessageSerializerFactory()));
        cfg.ConfigureJsonSerializerOptions(options =>
        {
            if (!options.Converters.OfType<UtcTimestampConverter>().Any())
                options.Converters.Add(new UtcTimestampConverter());
            // A field without a value is left out ("warehouseId where given"); previousStatus opts back in to null.
            options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            return options;
        });
    }

    /// <summary>
    /// The pipeline of every endpoint, called by its definition after its partitioner: an error pipe that keeps the reason
    /// and raises the dead-letter alert, the message's transaction as the host registered it (<see cref="IMessageTransaction"/>),
    /// retry (outside the transaction, so each attempt is fresh), and contract validation.
    /// </summary>
    public static void UseContractPipeline(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(context);
        endpoint.UseContractErrorPipe(context);
        context.GetRequiredService<IMessageTransaction>().Configure(endpoint, context);
        endpoint.UseContractRetry(context);
        endpoint.UseConsumeFilter(typeof(ContractValidationFilter<>), context);
    }

    /// <summary>
    /// Error queue with the reason in its headers, plus the alert; no fault events are published. A message no consumer
    /// took goes the same way, instead of to <c>_skipped</c>: every message not processed ends once in <c>_error</c>.
    /// </summary>
    static void UseContractErrorPipe(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(context);
        var logger = context.GetRequiredService<ILoggerFactory>().CreateLogger("OrderFulfillment.DeadLetters");
        var alert = new DeadLetterAlertFilter(logger, context.GetRequiredService<OrderFulfillmentMetrics>().DeadLetters);
        // The one error pipe: MassTransit's for a message that failed, and the same steps for one that no consumer took.
        void MoveToErrorQueue(IPipeConfigurator<ExceptionReceiveContext> error)
        {
            error.UseFilter(alert);
            error.UseFilter(new ErrorTransportFilter());
        }

        endpoint.ConfigureError(MoveToErrorQueue);
        var errorPipe = Pipe.New<ExceptionReceiveContext>(MoveToErrorQueue);
        endpoint.ConfigureDeadLetter(deadLetter => deadLetter.UseFilter(new NotConsumedFilter(errorPipe)));
    }

    /// <summary>
    /// Lets an instance's deliveries into the endpoint's pipeline in the order the broker delivered them
    /// (<see cref="DeliveryOrderFilter"/>), where the endpoint's partitioner keeps them in that order per saga. Every
    /// instance consumes the queue: RabbitMQ spreads its messages over them (competing consumers), and a saga whose
    /// messages two instances take at once is kept consistent by its row version and a retry.
    /// </summary>
    public static void AdmitInDeliveryOrder(this IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.ConfigureReceive(receive => receive.UseFilter(new DeliveryOrderFilter()));
    }

    /// <summary>
    /// <see cref="AdmitInDeliveryOrder"/>, and the partitioner that then runs one message per saga at a time, retries
    /// included, and different sagas side by side (<see cref="SagasAtOnce"/> per instance): a saga definition gives it the
    /// key of each message it takes.
    /// </summary>
    public static IPartitioner PartitionPerSaga(this IReceiveEndpointConfigurator endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.AdmitInDeliveryOrder();
        return endpoint.CreatePartitioner(SagasAtOnce);
    }

    /// <summary>Sagas whose messages one instance processes at once, on one endpoint.</summary>
    public const int SagasAtOnce = 16;

    /// <summary>A contract message's exchange is the contract's name for it; any other message keeps MassTransit's name.</summary>
    sealed class ContractEntityNameFormatter(IEntityNameFormatter messageTypeNames) : IEntityNameFormatter
    {
        public string FormatEntityName<T>() =>
            ContractExchanges.ByType.TryGetValue(typeof(T), out var exchange) ? exchange : messageTypeNames.FormatEntityName<T>();
    }

    /// <summary>Writes <c>2026-11-24T10:00:00Z</c> rather than <c>+00:00</c>; reads any ISO-8601 offset.</summary>
    sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTimeOffset().ToUniversalTime();

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
            writer.WriteStringValue(ContractTimestamps.Write(value));
    }
}
