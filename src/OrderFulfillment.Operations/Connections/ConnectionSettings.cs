using System.Globalization;

namespace OrderFulfillment.Operations.Connections;

/// <summary>Where the broker, its management API and the two services are, resolved from options, then environment, then defaults.</summary>
public sealed record ConnectionSettings
{
    public required string Host { get; init; }
    public required int Port { get; init; }
    public required string VirtualHost { get; init; }
    public required string Username { get; init; }
    public required string Password { get; init; }
    public required int ManagementPort { get; init; }
    public required Uri OrderService { get; init; }
    public required Uri FulfillmentService { get; init; }
    public string? ApiKey { get; init; }

    /// <summary>The connection name the broker shows (management UI, Connections).</summary>
    public string ClientName { get; init; } = "ofctl";

    public Uri ManagementApi => new($"http://{Host}:{ManagementPort.ToString(CultureInfo.InvariantCulture)}/");

    public string BrokerDisplay => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)} vhost '{VirtualHost}'";
}
