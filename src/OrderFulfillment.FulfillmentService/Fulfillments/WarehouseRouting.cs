using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.FulfillmentService.Fulfillments;

/// <summary>
/// Routing rules for lines that arrive without a warehouse (section <c>WarehouseRouting</c>): the longest matching SKU
/// prefix wins, else the default warehouse.
/// </summary>
public sealed class WarehouseRoutingOptions
{
    public const string Section = "WarehouseRouting";

    [Required(AllowEmptyStrings = false)]
    public string DefaultWarehouse { get; set; } = null!;

    /// <summary>SKU prefix → warehouse id.</summary>
    public Dictionary<string, string> SkuPrefixes { get; set; } = [];

    public string Assign(string sku)
    {
        ArgumentNullException.ThrowIfNull(sku);
        var match = SkuPrefixes
            .Where(rule => sku.StartsWith(rule.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(rule => rule.Key.Length)
            .Select(rule => rule.Value)
            .FirstOrDefault();
        return match ?? DefaultWarehouse;
    }
}
