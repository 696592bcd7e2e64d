using System.Globalization;

namespace OrderFulfillment.Console.Pages;

/// <summary>How the pages write times: UTC, to the second, the way the logs and the contract do.</summary>
public static class Format
{
    public static string Time(DateTimeOffset? value) =>
        value is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "–";

    public static string Time(string? iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? Time(at) : iso ?? "–";

    /// <summary>A CSS class from an outcome: "would fail" → "would-fail".</summary>
    public static string Css(string? outcome) => (outcome ?? "").Replace(' ', '-');
}
