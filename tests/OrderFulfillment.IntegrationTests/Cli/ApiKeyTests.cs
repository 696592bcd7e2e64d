using Xunit.Abstractions;

namespace OrderFulfillment.IntegrationTests.Cli;

/// <summary>With API keys configured on the services, ofctl sends its key as X-Api-Key (from --api-key or OFCTL_API_KEY).</summary>
[Trait("Category", "Integration")]
public sealed class ApiKeyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_api_key_goes_as_X_Api_Key_from_the_option_or_the_environment()
    {
        await using var system = await SystemUnderTest.StartAsync("ofctl-key", env => env["ApiKeys__0"] = "s3cret");
        await using var events = await system.Amqp.ObserveAsync("order.status_changed");
        var ofctl = new Ofctl(output, system);
        await ofctl.SucceedAsync("order", "publish", "--order-id", "ORD-KEY-1");
        await events.WaitForAsync(e => e.Any(x => x.Text("orderId") == "ORD-KEY-1"), TimeSpan.FromSeconds(30), "the order confirmed");

        var without = await ofctl.RunAsync("order", "show", "ORD-KEY-1");
        Assert.Equal(1, without.ExitCode);
        Assert.Contains("401", without.Error);
        Assert.Contains("--api-key", without.Error);

        var withOption = await ofctl.RunAsync("order", "show", "ORD-KEY-1", "--api-key", "s3cret");
        Assert.Equal(0, withOption.ExitCode);
        Assert.Contains("ORD-KEY-1", withOption.Output);

        var fromEnvironment = await new Ofctl(output, system, new Dictionary<string, string> { ["OFCTL_API_KEY"] = "s3cret" }).RunAsync("order", "show", "ORD-KEY-1");
        Assert.Equal(0, fromEnvironment.ExitCode);
    }
}
