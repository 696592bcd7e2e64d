using System.Text.RegularExpressions;

namespace OrderFulfillment.Operations.Messages;

/// <summary>The contract's order id: 1 to 64 characters of <c>A-Z a-z 0-9 . _ -</c>.</summary>
public static partial class OrderIds
{
    public const string Rule = "1 to 64 characters of A-Z a-z 0-9 . _ -";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);
}
