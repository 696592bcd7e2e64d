using MassTransit;
using Xunit;
using OrderFulfillment.Messaging;

namespace OrderFulfillment.TestSupport;

/// <summary>What every saga's <see cref="SagaStatusMap"/> must hold against its machine and the contract's statuses.</summary>
public static class StatusMapAssertions
{
    /// <summary>Every state of the machine stands for exactly one contract status, and every status has its state.</summary>
    public static void CoversEveryStateAndStatus<TSaga>(StateMachine<TSaga> machine, SagaStatusMap map, IReadOnlyList<string> contractStatuses)
        where TSaga : class, SagaStateMachineInstance
    {
        ArgumentNullException.ThrowIfNull(machine);
        ArgumentNullException.ThrowIfNull(map);
        var states = machine.States.Select(s => s.Name).Where(name => name is not "Initial" and not "Final").Order().ToList();

        Assert.Equal(states, map.States.Keys.Order());
        Assert.Equal(contractStatuses.Order(), map.States.Values.Order());
        Assert.All(contractStatuses, status => Assert.Equal(status, map.StatusOf(map.StateOf(status))));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.StatusOf("Initial"));
        Assert.Throws<ArgumentOutOfRangeException>(() => map.StateOf(states[0]));
    }
}
