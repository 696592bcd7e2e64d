using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.Views;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl order publish|cancel|show</c>: what checkout and customer service do, and what they see.</summary>
public static class OrderCommands
{
    static readonly OrderLineSpec[] DefaultLines =
        [new("SKU-1", 2, "WH-EAST"), new("SKU-2", 1, "WH-WEST"), new("SKU-3", 5, null)];

    public static Command Create(CliContext context)
    {
        var order = new Command("order", "Confirm or cancel an order (as checkout does), or show one with its fulfillments and timeline");
        order.Subcommands.Add(Publish(context));
        order.Subcommands.Add(Cancel(context));
        order.Subcommands.Add(Show(context));
        return order;
    }

    static Command Publish(CliContext context)
    {
        var orderId = CommonOptions.OrderId(required: false, $"The order id ({OrderIds.Rule}); default: a new ORD-… id");
        var lines = new Option<IReadOnlyList<OrderLineSpec>>("--line")
        {
            Description = "An order line, repeatable; the warehouse is optional (planning routes a line without one). " +
                          "Default: SKU-1:2:WH-EAST SKU-2:1:WH-WEST SKU-3:5",
            HelpName = "SKU:QTY[:WAREHOUSE]",
            CustomParser = OrderLineSpec.ParseAll,
        };
        var messageId = CommonOptions.MessageId();
        var command = new Command("publish", """
            Publish order.confirmed (plain JSON, persistent, publisher-confirmed) and print the order id.
            Example: ofctl order publish --order-id ORD-1001 --line SKU-1:2:WH-EAST --line SKU-3:5
            """) { orderId, lines, messageId };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            var id = parse.GetValue(orderId) ?? $"ORD-{DateTime.UtcNow:yyyyMMddHHmmss}-{Random.Shared.Next(1000, 10000)}";
            var orderLines = parse.GetValue(lines) is { Count: > 0 } given ? given : DefaultLines;
            await using var broker = await Broker.ConnectAsync(settings, ct);
            var sent = await broker.PublishJsonAsync(OrderConfirmed.Exchange, new
            {
                orderId = id,
                confirmedAt = ContractTimestamps.Write(DateTimeOffset.UtcNow),
                lines = orderLines.Select(l => new { sku = l.Sku, quantity = l.Quantity, warehouseId = l.WarehouseId }),
            }, parse.GetValue(messageId), ct);
            await context.Output.WriteLineAsync(id);
            await context.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"published {OrderConfirmed.Exchange} for {id} with {orderLines.Count} line(s) (message id {sent}) to {settings.BrokerDisplay}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Cancel(CliContext context)
    {
        var orderId = CommonOptions.OrderId(required: true);
        var reason = new Option<string>("--reason") { Description = "Why the order is cancelled (optional)", HelpName = "text" };
        var messageId = CommonOptions.MessageId();
        var wait = new Option<int>("--wait")
        {
            Description = "Seconds to wait for the outcome in the order service (0: only publish)",
            DefaultValueFactory = _ => 30,
            HelpName = "seconds",
        };
        wait.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--wait must be 0 or more"); });
        var command = new Command("cancel", """
            Publish order.cancellation_requested, then wait for the outcome: before any shipment every fulfillment ends
            cancelled (exit 0); after one the request is refused (exit 1, with the reason). The order's timeline
            ('ofctl order show') records either.
            """) { orderId, reason, messageId, wait };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            var id = parse.GetRequiredValue(orderId);
            using var api = new ServiceApi(settings);
            var seconds = parse.GetValue(wait);
            await using var broker = await Broker.ConnectAsync(settings, ct);
            var refusalsBefore = seconds > 0 && await api.GetOrderAsync(id, ct) is { } before ? Refusals(before).Count : 0;
            var sent = await broker.PublishJsonAsync(OrderCancellationRequested.Exchange, new
            {
                orderId = id,
                reason = parse.GetValue(reason),
                requestedAt = ContractTimestamps.Write(DateTimeOffset.UtcNow),
            }, parse.GetValue(messageId), ct);
            await context.Output.WriteLineAsync($"published {OrderCancellationRequested.Exchange} for {id} (message id {sent})");
            if (seconds == 0)
                return ExitCodes.Ok;

            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (DateTime.UtcNow < deadline)
            {
                if (await api.GetOrderAsync(id, ct) is { } order)
                {
                    if (order.GetProperty("status").GetString() == "cancelled")
                    {
                        await context.Output.WriteLineAsync($"order {id} is cancelled");
                        return ExitCodes.Ok;
                    }

                    if (Refusals(order) is { Count: var count } refusals && count > refusalsBefore)
                        throw OperationException.Failed($"cancellation of order {id} refused: {refusals[^1]}");
                }

                await Task.Delay(250, ct);
            }

            throw OperationException.Failed($"no outcome for the cancellation of order {id} within {seconds} s: see 'ofctl order show {id}'");
        });
        return command;
    }

    /// <summary>The reasons of the refused cancellations in an order's timeline, oldest first.</summary>
    static List<string> Refusals(JsonElement order) =>
        order.TryGetProperty("timeline", out var timeline) && timeline.ValueKind == JsonValueKind.Array
            ? [.. timeline.EnumerateArray()
                .Where(e => e.TryGetProperty("outcome", out var outcome) && outcome.GetString() == "refused")
                .Select(e => e.TryGetProperty("detail", out var detail) ? detail.GetString() ?? "" : "")]
            : [];

    static Command Show(CliContext context)
    {
        var orderId = CommonOptions.OrderIdArgument();
        var json = new Option<bool>("--json")
        {
            Description = "Print raw JSON instead of tables: { \"order\": <order service view>, \"fulfillments\": <fulfillment service views> }",
        };
        var command = new Command("show", """
            Show an order: its status, lines, fulfillments (from both services) and timeline, the record of every message
            it received and what that message did. Exit 1 when the order service does not know the order.
            """) { orderId, json };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            var id = parse.GetRequiredValue(orderId);
            using var api = new ServiceApi(settings);
            var order = await api.GetOrderAsync(id, ct)
                        ?? throw OperationException.Failed($"order '{id}' not found: the order service at {settings.OrderService} has no confirmed order with this id");
            var fulfillments = await api.GetOrderFulfillmentsAsync(id, ct);
            if (parse.GetValue(json))
            {
                await context.Output.WriteLineAsync(JsonSerializer.Serialize(new { order, fulfillments }, Json.Indented));
                return ExitCodes.Ok;
            }

            OrderView.Render(context.Console, order, fulfillments);
            return ExitCodes.Ok;
        });
        return command;
    }
}
