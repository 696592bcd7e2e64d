using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>The broker, bound from the <c>RabbitMq</c> section (<c>RabbitMq__Host</c> and so on).</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required] public string Host { get; set; } = "localhost";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "orderfulfillment";
    [Required] public string Password { get; set; } = "orderfulfillment";

    /// <summary>Messages fetched ahead per endpoint.</summary>
    [Range(1, 10_000)] public int PrefetchCount { get; set; } = 32;

    /// <summary>Messages consumed at once per endpoint.</summary>
    [Range(1, 1_000)] public int ConcurrentMessageLimit { get; set; } = 16;
}
