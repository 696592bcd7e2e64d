using System.CommandLine;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl delivery confirm</c>: what a carrier webhook reports.</summary>
public static class DeliveryCommands
{
    public static Command Create(CliContext context)
    {
        var delivery = new Command("delivery", "Report deliveries, as shipping / carrier webhooks do");
        delivery.Subcommands.Add(Confirm(context));
        return delivery;
    }

    static Command Confirm(CliContext context)
    {
        var orderId = CommonOptions.OrderId(required: true);
        var fulfillmentId = CommonOptions.FulfillmentId();
        var carrier = new Option<string>("--carrier") { Description = "The carrier (optional)", HelpName = "name" };
        var trackingNumber = new Option<string>("--tracking-number") { Description = "The tracking number (optional)", HelpName = "number" };
        var deliveredAt = new Option<DateTimeOffset?>("--delivered-at") { Description = "When it was delivered, ISO-8601 (default: now)", HelpName = "time" };
        var messageId = CommonOptions.MessageId();
        var command = new Command("confirm", """
            Publish delivery.confirmed for one fulfillment of an order. Only this makes an order delivered; one that
            arrives before the fulfillment has shipped is held and applied once it ships.
            """) { orderId, fulfillmentId, carrier, trackingNumber, deliveredAt, messageId };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            var order = parse.GetRequiredValue(orderId);
            var id = parse.GetValue(fulfillmentId);
            await using var broker = await Broker.ConnectAsync(settings, ct);
            var sent = await broker.PublishJsonAsync(DeliveryConfirmed.Exchange, new
            {
                orderId = order,
                fulfillmentId = id,
                deliveredAt = ContractTimestamps.Write(parse.GetValue(deliveredAt) ?? DateTimeOffset.UtcNow),
                carrier = parse.GetValue(carrier),
                trackingNumber = parse.GetValue(trackingNumber),
            }, parse.GetValue(messageId), ct);
            await context.Output.WriteLineAsync($"published {DeliveryConfirmed.Exchange} for order {order} fulfillment {id} (message id {sent})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
