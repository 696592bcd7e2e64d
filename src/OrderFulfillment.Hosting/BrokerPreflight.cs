using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.Hosting;

/// <summary>Stops the service at start with a clear message when the broker cannot be reached, instead of retrying quietly.</summary>
public static class BrokerPreflight
{
    /// <summary>Passes when any node of the broker (<see cref="RabbitMqNodes"/>) accepts a TCP connection within the timeout.</summary>
    public static async Task CheckBrokerReachableAsync(this WebApplication app, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        var nodes = RabbitMqNodes.Of(options);
        using var cancellation = new CancellationTokenSource(timeout);
        var attempts = nodes.Select(node => ConnectAsync(node, cancellation.Token)).ToList();
        var failures = new List<string>();
        while (attempts.Count > 0)
        {
            var done = await Task.WhenAny(attempts);
            attempts.Remove(done);
            var failure = await done;
            if (failure is null)
                return;
            failures.Add(failure);
        }

        var setting = string.IsNullOrWhiteSpace(options.Hosts) ? "RabbitMq__Host, RabbitMq__Port" : "RabbitMq__Hosts";
        throw new InvalidOperationException(
            $"Cannot reach RabbitMQ at {string.Join(", ", nodes)} ({setting}) within {timeout.TotalSeconds:0} s: {string.Join("; ", failures)}");
    }

    /// <summary>Null when the node accepts a connection, else why not.</summary>
    static async Task<string?> ConnectAsync(RabbitMqNode node, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(node.Host, node.Port, cancellationToken);
            return null;
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            return Reason(node, exception);
        }
    }

    static string Reason(RabbitMqNode node, Exception exception) =>
        $"{node}: " + (exception is OperationCanceledException ? "timed out" : exception.Message);
}
