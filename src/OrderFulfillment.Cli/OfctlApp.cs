using System.CommandLine;
using System.CommandLine.Invocation;
using OrderFulfillment.Cli.Commands;
using OrderFulfillment.Cli.Connections;

namespace OrderFulfillment.Cli;

/// <summary>
/// ofctl as a library: the whole command line, run in-process against any writers (the console, or a test's).
/// Exit codes: 0 ok, 1 failed or not found, 2 usage error, 3 broker or service unreachable.
/// </summary>
public static class OfctlApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, string?>? environment = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(output, error, environment ?? Environment.GetEnvironmentVariable);
        var root = CreateRootCommand(context);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var parseError in parse.Errors)
                await error.WriteLineAsync($"ofctl: {parseError.Message}");
            await error.WriteLineAsync($"Run '{CliContext.CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, ct);
    }

    public static RootCommand CreateRootCommand(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = new RootCommand("""
            ofctl: operate OrderFulfillment from a shell, over plain AMQP and the services' HTTP status APIs.
            Publishes the contract's inbound messages (as checkout, the WMS or a carrier would), shows orders,
            inspects and replays dead-lettered messages, and simulates whole order lifecycles.
            Exit codes: 0 ok, 1 operation failed or not found, 2 usage error, 3 cannot reach the broker or a service.
            """);
        foreach (var option in context.Connection.All)
            root.Options.Add(option);
        root.Subcommands.Add(OrderCommands.Create(context));
        root.Subcommands.Add(WarehouseCommands.Create(context));
        root.Subcommands.Add(DeliveryCommands.Create(context));
        root.Subcommands.Add(ErrorsCommands.Create(context));
        root.Subcommands.Add(SimulateCommand.Create(context));
        root.Subcommands.Add(ReconcileCommand.Create(context));
        return root;
    }
}
