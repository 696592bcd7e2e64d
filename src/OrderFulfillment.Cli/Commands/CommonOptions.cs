using OrderFulfillment.Contracts;
using System.CommandLine;
using System.CommandLine.Parsing;

namespace OrderFulfillment.Cli.Commands;

/// <summary>Options and checks that several command groups share.</summary>
public static class CommonOptions
{
    public static Option<string> OrderId(bool required, string description = "The order id: " + OrderIds.Rule)
    {
        var option = new Option<string>("--order-id") { Description = description, Required = required, HelpName = "id" };
        option.Validators.Add(RefuseInvalidOrderId);
        return option;
    }

    public static Argument<string> OrderIdArgument()
    {
        var argument = new Argument<string>("ORDER_ID") { Description = "The order id" };
        argument.Validators.Add(RefuseInvalidOrderId);
        return argument;
    }

    public static Option<Guid> FulfillmentId(string description = "The fulfillment id (a UUID, as fulfillment.status_changed announced it)") =>
        new("--fulfillment-id") { Description = description, Required = true, HelpName = "uuid" };

    public static Option<string> MessageId() => new("--message-id")
    {
        Description = "AMQP message_id to set (the services ignore a second message with the same id); default: a new UUID",
        HelpName = "id",
    };

    public static bool IsOrderId(string value) => OrderIds.IsValid(value);

    static void RefuseInvalidOrderId(OptionResult result) => RefuseInvalidOrderId(result, result.GetValueOrDefault<string>());

    static void RefuseInvalidOrderId(ArgumentResult result) => RefuseInvalidOrderId(result, result.GetValueOrDefault<string>());

    static void RefuseInvalidOrderId(SymbolResult result, string? id)
    {
        if (id is not null && !OrderIds.IsValid(id))
            result.AddError($"'{id}' is not an order id: {OrderIds.Rule}");
    }

    public static void RequireText(Option<string> option, string what) =>
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && string.IsNullOrWhiteSpace(value))
                result.AddError($"{option.Name} must not be empty ({what})");
        });
}
