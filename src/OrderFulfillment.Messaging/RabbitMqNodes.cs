using System.Globalization;

namespace OrderFulfillment.Messaging;

/// <summary>The broker nodes a service may connect to: the nodes of <c>RabbitMq__Hosts</c>, or the one <c>RabbitMq__Host</c>.</summary>
public static class RabbitMqNodes
{
    /// <summary>The nodes in the order they are tried; a malformed entry stops the service with the setting's name.</summary>
    public static IReadOnlyList<RabbitMqNode> Of(RabbitMqOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Hosts))
            return [new RabbitMqNode(options.Host, options.Port)];
        return options.Hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(entry => Parse(entry, options.Port))
            .ToList();
    }

    static RabbitMqNode Parse(string entry, int defaultPort)
    {
        var colon = entry.LastIndexOf(':');
        if (colon < 0)
            return new RabbitMqNode(entry, defaultPort);
        if (colon == 0 || !int.TryParse(entry[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new InvalidOperationException($"RabbitMq__Hosts: '{entry}' is not host or host:port (port 1-65535)");
        return new RabbitMqNode(entry[..colon], port);
    }
}

/// <summary>One broker node.</summary>
public sealed record RabbitMqNode(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";
}
