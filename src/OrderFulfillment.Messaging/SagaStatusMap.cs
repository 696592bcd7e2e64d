namespace OrderFulfillment.Messaging;

/// <summary>
/// A saga's table between its machine's states and the contract's statuses. The saga stores the state's name
/// (<c>current_state</c>, as MassTransit does); the wire, the status API and the rules speak the status. Renaming a
/// state's property changes the stored value (a migration), never the wire: each status is named in the table only.
/// </summary>
public sealed class SagaStatusMap
{
    readonly string _saga;
    readonly Dictionary<string, string> _statusByState;
    readonly Dictionary<string, string> _stateByStatus;

    /// <param name="saga">The saga's name, for errors: <c>order</c>, <c>fulfillment</c>.</param>
    /// <param name="statusByState">Each state's name (<c>nameof</c> the machine's property) with its contract status.</param>
    public SagaStatusMap(string saga, IReadOnlyDictionary<string, string> statusByState)
    {
        ArgumentNullException.ThrowIfNull(statusByState);
        _saga = saga;
        _statusByState = new Dictionary<string, string>(statusByState, StringComparer.Ordinal);
        _stateByStatus = _statusByState.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
    }

    /// <summary>The states, by name, with their statuses.</summary>
    public IReadOnlyDictionary<string, string> States => _statusByState;

    /// <summary>The contract status of a state (its stored name): <c>PartiallyShipped</c> → <c>partially_shipped</c>.</summary>
    public string StatusOf(string state) =>
        _statusByState.TryGetValue(state, out var status) ? status : throw new ArgumentOutOfRangeException(nameof(state), state, $"not a state of the {_saga} saga");

    /// <summary>The state (its stored name) of a contract status: <c>partially_shipped</c> → <c>PartiallyShipped</c>.</summary>
    public string StateOf(string status) =>
        _stateByStatus.TryGetValue(status, out var state) ? state : throw new ArgumentOutOfRangeException(nameof(status), status, $"not a status of the {_saga} saga");
}
