using System.Globalization;
using OrderFulfillment.Cli;
using OrderFulfillment.TestSupport;
using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>What one ofctl run printed, and its exit code.</summary>
public sealed record OfctlResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}

/// <summary>
/// Runs ofctl in-process (<see cref="OfctlApp.RunAsync"/>), pointed at one system under test: its vhost and its services'
/// ports. The process environment is hidden from it, so only what a test passes counts.
/// </summary>
public sealed class Ofctl(ITestOutputHelper output, SystemUnderTest? system = null, IReadOnlyDictionary<string, string>? environment = null)
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public async Task<OfctlResult> RunAsync(params string[] args)
    {
        string[] all = system is null ? args : [.. args, .. ConnectionArgs(system)];
        using var stdout = new StringWriter(CultureInfo.InvariantCulture);
        using var stderr = new StringWriter(CultureInfo.InvariantCulture);
        using var timeout = new CancellationTokenSource(Limit);
        var exitCode = await OfctlApp.RunAsync(all, stdout, stderr, name => environment?.GetValueOrDefault(name), timeout.Token);
        var result = new OfctlResult(exitCode, stdout.ToString(), stderr.ToString());
        output.WriteLine($"$ ofctl {string.Join(' ', args)}\n{result}\n");
        return result;
    }

    /// <summary>Runs and expects exit code 0.</summary>
    public async Task<OfctlResult> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"ofctl {string.Join(' ', args)} failed:\n{result}");
        return result;
    }

    public static string[] ConnectionArgs(SystemUnderTest system) =>
    [
        "--host", TestInfrastructure.RabbitHost,
        "--port", TestInfrastructure.RabbitPort.ToString(CultureInfo.InvariantCulture),
        "--vhost", system.Infrastructure.VirtualHost,
        "--username", TestInfrastructure.RabbitUser,
        "--password", TestInfrastructure.RabbitPassword,
        "--management-port", TestInfrastructure.ManagementPort.ToString(CultureInfo.InvariantCulture),
        "--order-service", system.Orders.BaseAddress.ToString(),
        "--fulfillment-service", system.Fulfillments.BaseAddress.ToString(),
    ];
}

/// <summary>One system under test for a whole test class.</summary>
public sealed class OfctlSystemFixture : IAsyncLifetime
{
    public SystemUnderTest System { get; private set; } = null!;

    public async Task InitializeAsync() => System = await SystemUnderTest.StartAsync("ofctl");

    public async Task DisposeAsync() => await System.DisposeAsync();
}
