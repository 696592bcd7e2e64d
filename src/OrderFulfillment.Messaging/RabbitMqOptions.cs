using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.Messaging;

/// <summary>The broker, bound from the <c>RabbitMq</c> section (<c>RabbitMq__Host</c> and so on).</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required] public string Host { get; set; } = "localhost";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "orderfulfillment";
    [Required] public string Password { get; set; } = "orderfulfillment";

    /// <summary>
    /// The nodes of a RabbitMQ cluster, comma-separated <c>host:port</c> (a node without a port uses <see cref="Port"/>),
    /// tried in turn; empty for a single broker at <see cref="Host"/>. See <see cref="RabbitMqNodes"/>.
    /// </summary>
    public string Hosts { get; set; } = string.Empty;

    /// <summary>Declares the service queues (and their error queues) as quorum queues; needs a cluster of at least <see cref="QuorumReplicationFactor"/> nodes.</summary>
    public bool QuorumQueues { get; set; }

    /// <summary>Replicas of each quorum queue (RabbitMQ's <c>x-quorum-initial-group-size</c>).</summary>
    [Range(1, 9)] public int QuorumReplicationFactor { get; set; } = 3;

    /// <summary>Messages fetched ahead per endpoint.</summary>
    [Range(1, 10_000)] public int PrefetchCount { get; set; } = 32;

    /// <summary>Messages consumed at once per endpoint.</summary>
    [Range(1, 1_000)] public int ConcurrentMessageLimit { get; set; } = 16;
}
