using System.CommandLine;
using System.Globalization;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.Simulation;
using Spectre.Console;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl simulate</c>: whole order lifecycles over AMQP, with a progress bar and a summary.</summary>
public static class SimulateCommand
{
    public static Command Create(CliContext context)
    {
        var orders = new Option<int>("--orders", "-n") { Description = "How many orders to drive to delivered", DefaultValueFactory = _ => 10, HelpName = "n" };
        var warehouses = new Option<int>("--warehouses") { Description = "How many warehouses (WH-SIM-1 …) the orders' lines are spread over", DefaultValueFactory = _ => 2, HelpName = "n" };
        var concurrency = new Option<int>("--concurrency") { Description = "How many orders are in flight at once", DefaultValueFactory = _ => 8, HelpName = "n" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for every order to be delivered", DefaultValueFactory = _ => 300, HelpName = "seconds" };
        AtLeastOne(orders);
        AtLeastOne(warehouses);
        AtLeastOne(concurrency);
        AtLeastOne(timeout);

        var command = new Command("simulate", """
            Drive orders through their whole lifecycle over AMQP, as checkout, a WMS and a carrier would; exit 1 if not all are delivered in time.
            Confirms orders SIM-<run>-<i> (two lines with a warehouse, one without); on each fulfillment.status_changed publishes
            the next warehouse step (planning → … → completed) and, once shipped, delivery.confirmed; done when order.status_changed says delivered.
            """) { orders, warehouses, concurrency, timeout };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            var options = new SimulationOptions(parse.GetValue(orders), parse.GetValue(warehouses), parse.GetValue(concurrency),
                TimeSpan.FromSeconds(parse.GetValue(timeout)));
            await using var broker = await Broker.ConnectAsync(settings, ct);
            using var simulator = new Simulator(broker, options);
            SimulationSummary? summary = null;
            await context.Console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Delivered(0, options.Orders), maxValue: options.Orders);
                    summary = await simulator.RunAsync(delivered =>
                    {
                        task.Value = delivered;
                        task.Description = Delivered(delivered, options.Orders);
                    }, ct);
                });

            Render(context.Console, summary!);
            if (summary!.Delivered == summary.Orders)
                return ExitCodes.Ok;
            await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"ofctl: {summary.Orders - summary.Delivered} of {summary.Orders} orders were not delivered within {options.Timeout.TotalSeconds:0} s"));
            return ExitCodes.Failed;
        });
        return command;
    }

    static void Render(IAnsiConsole console, SimulationSummary summary)
    {
        var seconds = Math.Max(summary.Elapsed.TotalSeconds, 0.001);
        var table = new Table().Title($"Simulation run {summary.Run}")
            .AddColumns("Orders", "Delivered", "Messages published", "Events received", "Elapsed", "Orders/s", "Failures", "Timeouts");
        table.AddRow(
            Invariant($"{summary.Orders}"), Invariant($"{summary.Delivered}"), Invariant($"{summary.Published}"), Invariant($"{summary.EventsReceived}"),
            Invariant($"{summary.Elapsed.TotalSeconds:0.0} s"), Invariant($"{summary.Delivered / seconds:0.00}"), Invariant($"{summary.Failures}"),
            Invariant($"{summary.TimedOut}"));
        console.Write(table);
        foreach (var note in summary.Notes.Take(20))
            console.WriteLine(note);
    }

    static string Delivered(int delivered, int orders) => string.Create(CultureInfo.InvariantCulture, $"orders delivered {delivered}/{orders}");

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    static void AtLeastOne(Option<int> option) =>
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
                result.AddError($"{option.Name} must be 1 or more");
        });
}
