using System.Globalization;

namespace OrderFulfillment.Contracts;

/// <summary>The contract's timestamps: ISO-8601 in UTC with a <c>Z</c> (<c>2026-11-24T10:00:00Z</c>), fractions only where there are any.</summary>
public static class ContractTimestamps
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public static string Write(DateTimeOffset value) => value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);
}
