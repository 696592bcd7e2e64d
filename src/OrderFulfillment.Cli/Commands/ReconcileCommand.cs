using System.CommandLine;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.Reconciliation;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl reconcile [--dry-run]</c>: the reconciliation sweep over both status APIs, and its repair.</summary>
public static class ReconcileCommand
{
    public static Command Create(CliContext context)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list the differences; announce nothing" };
        var command = new Command("reconcile", """
            Compare every open order's fulfillments as the order service tracks them (status and sequence) with the
            fulfillment service's own, list each difference, and (without --dry-run) ask the fulfillment service to
            announce each fulfillment the order service is behind on again, with its last sequence. Repeating it is
            harmless: the order service ignores a sequence it already has. Exit code 1 when --dry-run finds a difference.
            """) { dryRun };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            using var api = new ServiceApi(settings);
            var dry = parse.GetValue(dryRun);
            var report = await new Reconciler(api).SweepAsync(repair: !dry, ct);
            foreach (var drift in report.Drifts)
                await context.Output.WriteLineAsync($"drift: {drift}");
            foreach (var drift in report.Repaired)
                await context.Output.WriteLineAsync($"repair: asked the fulfillment service to announce {drift.FulfillmentId} again " +
                                                    $"({drift.FulfillmentStatus}, sequence {drift.FulfillmentSequence})");
            await context.Output.WriteLineAsync($"{report.OrdersChecked} open order(s) checked, {report.Drifts.Count} difference(s), " +
                                                (dry ? "dry run: nothing announced" : $"{report.Repaired.Count} announced again"));
            return dry && report.Drifts.Count > 0 ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }
}
