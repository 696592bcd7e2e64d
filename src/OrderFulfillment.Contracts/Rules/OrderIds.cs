using System.Text.RegularExpressions;

namespace OrderFulfillment.Contracts;

/// <summary>The contract's order id: 1 to 64 characters of <c>A-Z a-z 0-9 . _ -</c>.</summary>
public static partial class OrderIds
{
    public const string Rule = "1 to 64 characters of A-Z a-z 0-9 . _ -";

    // \A and \z: "$" would also match before a final newline.
    [GeneratedRegex(@"\A[A-Za-z0-9._-]{1,64}\z")]
    private static partial Regex Pattern();

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);
}
