using System.CommandLine.Parsing;
using System.Globalization;

namespace OrderFulfillment.Cli.Commands;

/// <summary>One <c>--line SKU:QTY[:WAREHOUSE]</c>.</summary>
public sealed record OrderLineSpec(string Sku, int Quantity, string? WarehouseId)
{
    public static IReadOnlyList<OrderLineSpec> ParseAll(ArgumentResult result)
    {
        var lines = new List<OrderLineSpec>();
        foreach (var token in result.Tokens)
        {
            var parts = token.Value.Split(':');
            if (parts.Length is < 2 or > 3 || string.IsNullOrWhiteSpace(parts[0])
                                           || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var quantity) || quantity < 1
                                           || (parts.Length == 3 && string.IsNullOrWhiteSpace(parts[2])))
            {
                result.AddError($"--line '{token.Value}' is not SKU:QTY[:WAREHOUSE] with a quantity of 1 or more");
                continue;
            }

            lines.Add(new OrderLineSpec(parts[0], quantity, parts.Length == 3 ? parts[2] : null));
        }

        return lines;
    }
}
