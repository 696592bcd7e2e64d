using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrderFulfillment.ServiceDefaults.Messaging;

namespace OrderFulfillment.ServiceDefaults.Hosting;

/// <summary>Stops the service at start with a clear message when the broker cannot be reached, instead of retrying quietly.</summary>
public static class BrokerPreflight
{
    public static async Task CheckBrokerReachableAsync(this WebApplication app, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        using var client = new TcpClient();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await client.ConnectAsync(options.Host, options.Port, cancellation.Token);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Cannot reach RabbitMQ at {options.Host}:{options.Port} (RabbitMq__Host, RabbitMq__Port) within {timeout.TotalSeconds:0} s: " +
                (exception is OperationCanceledException ? "timed out" : exception.Message), exception);
        }
    }
}
