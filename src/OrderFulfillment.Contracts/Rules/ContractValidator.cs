using System.Text.Json;

namespace OrderFulfillment.Contracts;

/// <summary>
/// The contract's field rules for inbound messages, and the limits this system adds to every text and list field (each
/// checked before anything is stored, each documented in docs/messages.md); an empty list means valid.
/// </summary>
public static class ContractValidator
{
    /// <summary>Longest sku, warehouseId, carrier and trackingNumber.</summary>
    public const int MaxIdentifierLength = 64;

    /// <summary>Longest reason (of a cancellation).</summary>
    public const int MaxReasonLength = 500;

    /// <summary>Most lines in one order.</summary>
    public const int MaxLines = 200;

    /// <summary>Largest quantity of one line.</summary>
    public const int MaxQuantity = 1_000_000;

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
                Text(m.Reason, "reason", MaxReasonLength, required: false, errors);
                break;
            case DeliveryConfirmed m:
                OrderId(m.OrderId, errors);
                FulfillmentId(m.FulfillmentId, errors);
                Timestamp(m.DeliveredAt, "deliveredAt", errors);
                Text(m.Carrier, "carrier", MaxIdentifierLength, required: false, errors);
                Text(m.TrackingNumber, "trackingNumber", MaxIdentifierLength, required: false, errors);
                break;
            case WarehouseShipped m:
                FulfillmentId(m.FulfillmentId, errors);
                Timestamp(m.OccurredAt, "occurredAt", errors);
                Text(m.Carrier, "carrier", MaxIdentifierLength, required: true, errors);
                Text(m.TrackingNumber, "trackingNumber", MaxIdentifierLength, required: true, errors);
                break;
            case WarehouseCancelled m:
                Step(m.FulfillmentId, m.OccurredAt, errors);
                Text(m.Reason, "reason", MaxReasonLength, required: false, errors);
                break;
            case not null when WarehouseSteps.ByMessage(message.GetType()) is { } step:
                Step(step.FulfillmentIdOf(message), step.OccurredAtOf(message), errors);
                break;
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
        else if (!OrderIds.IsValid(orderId))
            errors.Add($"orderId '{Truncate(orderId)}' must be {OrderIds.Rule}");
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

    /// <summary>A text field: required or not, at most <paramref name="maxLength"/> characters, no control characters.</summary>
    static void Text(string? value, string field, int maxLength, bool required, List<string> errors)
    {
        if (value is null)
        {
            if (required)
                errors.Add($"{field} is required");
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
            errors.Add(required ? $"{field} is required" : $"{field} must not be empty when given");
        else if (value.Length > maxLength)
            errors.Add($"{field} must be at most {maxLength} characters (was {value.Length})");
        else if (value.Any(char.IsControl))
            errors.Add($"{field} must not hold control characters (a newline, a tab…)");
    }

    static void Lines(IReadOnlyList<OrderLine>? lines, string field, List<string> errors)
    {
        if (lines is null || lines.Count == 0)
        {
            errors.Add($"{field} must hold at least one line");
            return;
        }

        if (lines.Count > MaxLines)
        {
            errors.Add($"{field} must hold at most {MaxLines} lines (held {lines.Count})");
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

            Text(line.Sku, $"{field}[{i}].sku", MaxIdentifierLength, required: true, errors);
            if (line.Quantity < 1)
                errors.Add($"{field}[{i}].quantity must be 1 or more (was {line.Quantity})");
            else if (line.Quantity > MaxQuantity)
                errors.Add($"{field}[{i}].quantity must be at most {MaxQuantity} (was {line.Quantity})");
            Text(line.WarehouseId, $"{field}[{i}].warehouseId", MaxIdentifierLength, required: false, errors);
        }
    }

    /// <summary>The value as a reason may quote it: at most 80 characters, control characters escaped (a newline shows as \\n).</summary>
    static string Truncate(string value)
    {
        var shown = value.Length <= 80 ? value : value[..80] + "…";
        return shown.Any(char.IsControl) ? JsonEncodedText.Encode(shown).ToString() : shown;
    }
}
