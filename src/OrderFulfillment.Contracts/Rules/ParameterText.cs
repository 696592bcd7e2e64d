namespace OrderFulfillment.Contracts;

/// <summary>
/// What any value in a URL (route value or query string) of the services and the console may hold: at most
/// <see cref="MaxLength"/> characters, no control characters (NUL among them, which PostgreSQL refuses in text), and no
/// <c>%</c> left after decoding, which is what an invalid percent-encoding (<c>%zz</c>, <c>%C3%28</c>) leaves behind.
/// No parameter of this system (ids, statuses, cursors, numbers, times, queue and type names) has a use for a <c>%</c>.
/// </summary>
public static class ParameterText
{
    public const int MaxLength = 256;

    public const string Rule = "at most 256 characters, no control characters, no invalid percent-encoding";

    /// <summary>Why <paramref name="value"/> is not acceptable as a parameter, or null when it is.</summary>
    public static string? Problem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > MaxLength)
            return $"it is {value.Length} characters long; at most {MaxLength} are allowed";
        foreach (var c in value)
        {
            if (char.IsControl(c))
                return $"it contains the control character U+{(int)c:X4}";
            if (c == '\uFFFD')
                return "it is not valid UTF-8";
            if (c == '%')
                return "it contains an invalid percent-encoding";
        }

        return null;
    }
}
