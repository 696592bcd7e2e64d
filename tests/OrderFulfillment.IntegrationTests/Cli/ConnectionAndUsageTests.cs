using System.Globalization;
using System.Net;
using System.Net.Sockets;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>Exit codes scripts rely on: 2 for a wrong command line, 3 when the broker or a service cannot be reached; help texts.</summary>
[Trait("Category", "Integration")]
public sealed class ConnectionAndUsageTests(ITestOutputHelper output)
{
    readonly Ofctl _ofctl = new(output);

    [Theory]
    [InlineData("bogus")]
    [InlineData("order")]
    [InlineData("order", "publish", "--line", "SKU-1:zero")]
    [InlineData("order", "publish", "--order-id", "not valid!")]
    [InlineData("order", "cancel")]
    [InlineData("warehouse", "shipped", "--fulfillment-id", "57c320dc-6473-50df-aea5-29051d63deff")]
    [InlineData("warehouse", "picked", "--fulfillment-id", "57c320dc-6473-50df-aea5-29051d63deff", "--carrier", "UPS")]
    [InlineData("warehouse", "teleported", "--fulfillment-id", "57c320dc-6473-50df-aea5-29051d63deff")]
    [InlineData("warehouse", "picked", "--fulfillment-id", "not-a-uuid")]
    [InlineData("delivery", "confirm", "--order-id", "ORD-1")]
    [InlineData("errors", "list", "--queue", "fulfillment")]
    [InlineData("errors", "replay")]
    [InlineData("errors", "replay", "--queue", "fulfillment_error")]
    [InlineData("errors", "replay", "--queue", "fulfillment", "--all")]
    [InlineData("errors", "replay", "--order-id", "ORD-1", "--all")]
    [InlineData("errors", "replay", "--queue", "fulfillment_error", "--all", "--message-id", "x")]
    [InlineData("simulate", "--orders", "0")]
    [InlineData("order", "show", "ORD-1", "--order-service", "not a url")]
    public async Task A_wrong_command_line_exits_2_and_points_to_help(params string[] args)
    {
        var result = await _ofctl.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("ofctl: ", result.Error);
        Assert.Contains("--help' for usage.", result.Error);
    }

    [Fact]
    public async Task Help_describes_the_commands_the_exit_codes_and_the_environment_fallbacks()
    {
        var root = await _ofctl.RunAsync("--help");
        Assert.Equal(0, root.ExitCode);
        foreach (var expected in new[] { "order", "warehouse", "delivery", "errors", "simulate", "Exit codes: 0 ok, 1", "RabbitMq__Host", "OFCTL_API_KEY" })
            Assert.Contains(expected, root.Output);

        var replay = await _ofctl.RunAsync("errors", "replay", "--help");
        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("--dry-run", replay.Output);
        Assert.Contains("--vhost", replay.Output);
    }

    [Fact]
    public async Task An_unreachable_broker_exits_3()
    {
        var result = await _ofctl.RunAsync("order", "publish", "--host", "127.0.0.1", "--port", ClosedPort());

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("cannot connect to RabbitMQ", result.Error);
    }

    [Fact]
    public async Task The_broker_port_falls_back_to_the_services_environment_variable()
    {
        var ofctl = new Ofctl(output, environment: new Dictionary<string, string> { ["RabbitMq__Host"] = "127.0.0.1", ["RabbitMq__Port"] = ClosedPort() });

        var result = await ofctl.RunAsync("order", "cancel", "--order-id", "ORD-1");

        Assert.Equal(3, result.ExitCode);
        Assert.Contains($"127.0.0.1:{ClosedPortNumber}", result.Error);
    }

    [Fact]
    public async Task An_unreachable_service_or_management_api_exits_3()
    {
        var show = await _ofctl.RunAsync("order", "show", "ORD-1", "--order-service", $"http://127.0.0.1:{ClosedPort()}");
        Assert.Equal(3, show.ExitCode);
        Assert.Contains("cannot reach the order service", show.Error);

        var list = await _ofctl.RunAsync("errors", "list", "--host", "127.0.0.1", "--management-port", ClosedPort());
        Assert.Equal(3, list.ExitCode);
        Assert.Contains("management API", list.Error);
    }

    [Fact]
    public async Task A_vhost_without_the_services_exchanges_fails_with_exit_1_and_says_why()
    {
        await using var infrastructure = await TestInfrastructure.CreateAsync("ofctl-bare");
        var ofctl = new Ofctl(output);

        var result = await ofctl.RunAsync("order", "publish", "--host", TestInfrastructure.RabbitHost,
            "--port", TestInfrastructure.RabbitPort.ToString(CultureInfo.InvariantCulture), "--vhost", infrastructure.VirtualHost);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("exchange 'order.confirmed' does not exist", result.Error);
    }

    int ClosedPortNumber { get; } = FreePort();

    string ClosedPort() => ClosedPortNumber.ToString(CultureInfo.InvariantCulture);

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
