namespace OrderFulfillment.Messaging;

/// <summary>
/// The convention both sagas follow: each contract status is one state of the saga's machine, named as the status in
/// PascalCase (<c>partially_shipped</c> is the state <c>PartiallyShipped</c>), and the saga's status is its current state.
/// </summary>
public static class SagaStates
{
    /// <summary>The contract status of a state: <c>PartiallyShipped</c> → <c>partially_shipped</c>.</summary>
    public static string StatusOf(string stateName)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        var status = new System.Text.StringBuilder(stateName.Length + 4);
        foreach (var c in stateName)
        {
            if (char.IsUpper(c) && status.Length > 0)
                status.Append('_');
            status.Append(char.ToLowerInvariant(c));
        }

        return status.ToString();
    }

    /// <summary>The state of a contract status: <c>partially_shipped</c> → <c>PartiallyShipped</c>.</summary>
    public static string StateNameOf(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return string.Concat(status.Split('_').Select(word => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..]));
    }
}
