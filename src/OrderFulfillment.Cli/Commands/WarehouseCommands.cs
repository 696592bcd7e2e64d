using OrderFulfillment.Contracts;
using System.CommandLine;
using OrderFulfillment.Cli.Connections;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl warehouse STEP</c>: the progress a WMS reports, one exchange per step.</summary>
public static class WarehouseCommands
{
    public static Command Create(CliContext context)
    {
        var step = new Argument<string>("STEP")
        {
            HelpName = "STEP",
            Description = "The step: " + string.Join(", ", WarehouseSteps.All.Select(s => $"{s.Name} (→ {s.Status})")),
        };
        step.AcceptOnlyFromAmong([.. WarehouseSteps.All.Select(s => s.Name)]);
        var fulfillmentId = CommonOptions.FulfillmentId();
        var carrier = new Option<string>("--carrier") { Description = "The carrier (required by, and only for, shipped)", HelpName = "name" };
        var trackingNumber = new Option<string>("--tracking-number") { Description = "The tracking number (required by, and only for, shipped)", HelpName = "number" };
        var reason = new Option<string>("--reason") { Description = "Why the warehouse cancelled (cancelled only; optional)", HelpName = "text" };
        var occurredAt = new Option<DateTimeOffset?>("--occurred-at") { Description = "When it happened, ISO-8601 (default: now)", HelpName = "time" };
        var messageId = CommonOptions.MessageId();
        CommonOptions.RequireText(carrier, "the carrier");
        CommonOptions.RequireText(trackingNumber, "the tracking number");

        var command = new Command("warehouse", """
            Publish a warehouse step for a fulfillment, as the WMS does (exchanges warehouse.picking_started … warehouse.cancelled).
            e.g. ofctl warehouse shipped --fulfillment-id 57c320dc-6473-50df-aea5-29051d63deff --carrier UPS --tracking-number 1Z999
            """) { step, fulfillmentId, carrier, trackingNumber, reason, occurredAt, messageId };
        command.Validators.Add(result =>
        {
            // Checked here, not on the argument: reading the argument in a command validator skips the argument's own validators.
            var name = result.GetValue(step);
            if (name is null || WarehouseSteps.ByName(name) is null)
            {
                result.AddError($"'{name}' is not a warehouse step: one of {string.Join(", ", WarehouseSteps.All.Select(s => s.Name))}");
                return;
            }

            var shipped = name == WarehouseSteps.Shipped.Name;
            var hasCarrier = result.GetValue(carrier) is not null;
            var hasTracking = result.GetValue(trackingNumber) is not null;
            if (shipped && (!hasCarrier || !hasTracking))
                result.AddError("shipped requires --carrier and --tracking-number");
            if (!shipped && (hasCarrier || hasTracking))
                result.AddError("--carrier and --tracking-number belong to shipped only");
            if (name != WarehouseSteps.Cancelled.Name && result.GetValue(reason) is not null)
                result.AddError("--reason belongs to cancelled only");
        });

        context.SetAction(command, async (parse, settings, ct) =>
        {
            var selected = WarehouseSteps.ByName(parse.GetRequiredValue(step))!;
            var id = parse.GetValue(fulfillmentId);
            var at = ContractTimestamps.Write(parse.GetValue(occurredAt) ?? DateTimeOffset.UtcNow);
            object body = selected.Name switch
            {
                "shipped" => new { fulfillmentId = id, occurredAt = at, carrier = parse.GetValue(carrier), trackingNumber = parse.GetValue(trackingNumber) },
                "cancelled" => new { fulfillmentId = id, occurredAt = at, reason = parse.GetValue(reason) },
                _ => new { fulfillmentId = id, occurredAt = at },
            };
            await using var broker = await Broker.ConnectAsync(settings, ct);
            var sent = await broker.PublishJsonAsync(selected.Exchange, body, parse.GetValue(messageId), ct);
            await context.Output.WriteLineAsync($"published {selected.Exchange} for fulfillment {id} (message id {sent})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
