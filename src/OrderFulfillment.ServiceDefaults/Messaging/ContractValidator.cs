using System.Text.RegularExpressions;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.ServiceDefaults.Messaging;

/// <summary>The contract's field rules for inbound messages; an empty list means valid.</summary>
public static partial class ContractValidator
{
    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex OrderIdPattern();

    public static IReadOnlyList<string> Validate(object message)
    {
        var errors = new List<string>();
        switch (message)
        {
            case OrderConfirmed m:
                OrderId(m.OrderId, errors);
                Timestamp(m.ConfirmedAt, "confirmedAt", errors);
                Lines(m.Lines, "lines", errors);
                break;
            case OrderCancellationRequested m:
                OrderId(m.OrderId, errors);
                Timestamp(m.RequestedAt, "requestedAt", errors);
                break;
            case DeliveryConfirmed m:
                OrderId(m.OrderId, errors);
                FulfillmentId(m.FulfillmentId, errors);
                Timestamp(m.DeliveredAt, "deliveredAt", errors);
                break;
            case WarehouseShipped m:
                FulfillmentId(m.FulfillmentId, errors);
                Timestamp(m.OccurredAt, "occurredAt", errors);
                Required(m.Carrier, "carrier", errors);
                Required(m.TrackingNumber, "trackingNumber", errors);
                break;
            case WarehousePickingStarted m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehousePicked m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehousePackingStarted m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehousePacked m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehouseReadyToShip m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehouseCompleted m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case WarehouseCancelled m: Step(m.FulfillmentId, m.OccurredAt, errors); break;
            case OrderStatusChanged m:
                OrderId(m.OrderId, errors);
                if (!OrderStatuses.All.Contains(m.Status))
                    errors.Add($"status '{m.Status}' is not an order status");
                if (m.Status == OrderStatuses.Confirmed && m.PreviousStatus is null)
                    Lines(m.Lines, "lines", errors);
                break;
            case FulfillmentStatusChanged m:
                OrderId(m.OrderId, errors);
                FulfillmentId(m.FulfillmentId, errors);
                if (!FulfillmentStatuses.All.Contains(m.Status))
                    errors.Add($"status '{m.Status}' is not a fulfillment status");
                if (m.Sequence < 1)
                    errors.Add("sequence must be 1 or more");
                break;
        }

        return errors;
    }

    static void Step(Guid fulfillmentId, DateTimeOffset occurredAt, List<string> errors)
    {
        FulfillmentId(fulfillmentId, errors);
        Timestamp(occurredAt, "occurredAt", errors);
    }

    static void OrderId(string? orderId, List<string> errors)
    {
        if (string.IsNullOrEmpty(orderId))
            errors.Add("orderId is required");
        else if (!OrderIdPattern().IsMatch(orderId))
            errors.Add($"orderId '{Truncate(orderId)}' must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    }

    static void FulfillmentId(Guid fulfillmentId, List<string> errors)
    {
        if (fulfillmentId == Guid.Empty)
            errors.Add("fulfillmentId is required");
    }

    static void Timestamp(DateTimeOffset value, string field, List<string> errors)
    {
        if (value == default)
            errors.Add($"{field} is required");
    }

    static void Required(string? value, string field, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
            errors.Add($"{field} is required");
    }

    static void Lines(IReadOnlyList<OrderLine>? lines, string field, List<string> errors)
    {
        if (lines is null || lines.Count == 0)
        {
            errors.Add($"{field} must hold at least one line");
            return;
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line is null)
            {
                errors.Add($"{field}[{i}] is null");
                continue;
            }

            if (string.IsNullOrWhiteSpace(line.Sku))
                errors.Add($"{field}[{i}].sku is required");
            if (line.Quantity < 1)
                errors.Add($"{field}[{i}].quantity must be 1 or more (was {line.Quantity})");
            if (line.WarehouseId is { } warehouse && string.IsNullOrWhiteSpace(warehouse))
                errors.Add($"{field}[{i}].warehouseId must not be empty when given");
        }
    }

    static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
