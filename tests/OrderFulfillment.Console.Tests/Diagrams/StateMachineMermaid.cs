using System.Text;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace OrderFulfillment.Console.Tests.Diagrams;

/// <summary>A transition the machine makes in code (<c>context.TransitionToState</c>), which its graph cannot show.</summary>
public sealed record CodeTransition(string From, string To, string When);

/// <summary>
/// Writes a saga state machine as a Mermaid state diagram, from the machine itself: MassTransit's graph of it
/// (<c>GetGraph()</c>: state → event → state), plus, as a loop on the state, the events a state accepts
/// (<c>NextEvents</c>) that appear nowhere in the graph (DuringAny handlers that record without a transition), as a note on the state.
/// Ignored events (duplicates, stale steps) are left out. Each state is labelled with its contract status(es).
/// </summary>
public static class StateMachineMermaid
{
    public static string Write<TInstance>(MassTransitStateMachine<TInstance> machine, Func<string, string?> statusesOf,
        IReadOnlyList<CodeTransition>? inCode = null)
        where TInstance : class, SagaStateMachineInstance
    {
        var graph = machine.GetGraph();
        var states = machine.States.Where(s => s != machine.Initial && s != machine.Final).ToList();
        var targets = graph.Edges.Where(e => e.From.VertexType == typeof(Event)).ToLookup(e => e.From.Title, e => e.To.Title);
        var inGraph = graph.Edges.Where(e => e.From.VertexType == typeof(Event)).Select(e => e.From.Title).ToHashSet(StringComparer.Ordinal);

        // (from, event, to), as the graph has them
        var steps = new List<(string From, string Event, string To)>();
        foreach (var edge in graph.Edges.Where(e => e.From.VertexType == typeof(State)))
        {
            foreach (var to in targets[edge.To.Title].DefaultIfEmpty(edge.From.Title))
                steps.Add((edge.From.Title, edge.To.Title, to));
        }

        foreach (var state in states)
        {
            foreach (var @event in machine.NextEvents(state).Where(e => !inGraph.Contains(e.Name) && !steps.Any(s => s.From == state.Name && s.Event == e.Name)))
                steps.Add((state.Name, @event.Name, state.Name));
        }

        // A schedule's AnyReceived is MassTransit's own catch-all beside its Received: the diagram shows Received only.
        steps.RemoveAll(s => s.Event.EndsWith(".AnyReceived", StringComparison.Ordinal));

        // One arrow per event and target, from the nearest state that takes it (in the machine's order of states); the
        // other states it is taken from (skipping ahead) are named on the arrow, as a range where they follow each other.
        var order = machine.States.Select(s => s.Name).ToList();
        var arrows = new List<(string From, string To, List<string> Labels)>();
        foreach (var group in steps.GroupBy(s => (s.Event, s.To)))
        {
            var sources = group.Select(s => s.From).Distinct().OrderBy(order.IndexOf).ToList();
            var from = sources[^1];
            var label = sources.Count == 1 ? group.Key.Event : $"{group.Key.Event} (also from {Range(sources[..^1], order)})";
            var existing = arrows.FindIndex(a => a.From == from && a.To == group.Key.To);
            if (existing < 0)
                arrows.Add((from, group.Key.To, [label]));
            else
                arrows[existing].Labels.Add(label);
        }

        var text = new StringBuilder();
        text.Append("stateDiagram-v2\n");
        foreach (var state in states)
        {
            var statuses = statusesOf(state.Name);
            text.Append(statuses is null ? $"    state \"{state.Name}\" as {state.Name}\n" : $"    state \"{state.Name}: {statuses}\" as {state.Name}\n");
        }

        foreach (var (from, to, labels) in arrows.Where(a => a.From != a.To))
            text.Append($"    {Node(machine, from)} --> {Node(machine, to)} : {string.Join(", ", labels)}\n");
        // Events a state takes without leaving it: a note, not a loop (Mermaid draws loops with their labels unreadable).
        // When every state takes the same events without leaving (the order saga's DuringAny), one note says so.
        var stays = arrows.Where(a => a.From == a.To).ToList();
        var shared = stays.Count == states.Count && stays.Count > 1 && stays.All(a => a.Labels.SequenceEqual(stays[0].Labels));
        foreach (var (state, _, labels) in shared ? stays.Take(1) : stays)
            text.Append($"    note right of {state}\n        {(shared ? "every state " : "")}stays on {string.Join(",\n        ", labels)}\n    end note\n");
        foreach (var code in inCode ?? [])
            text.Append($"    {code.From} --> {code.To} : {code.When} (in code)\n");
        return text.ToString();
    }

    /// <summary>"Pending … Packed" where the states follow each other, else "Pending, Picked".</summary>
    static string Range(List<string> states, List<string> order)
    {
        var contiguous = states.Count > 2 && order.IndexOf(states[^1]) - order.IndexOf(states[0]) == states.Count - 1;
        return contiguous ? $"{states[0]} … {states[^1]}" : string.Join(", ", states);
    }

    static string Node<TInstance>(MassTransitStateMachine<TInstance> machine, string state)
        where TInstance : class, SagaStateMachineInstance =>
        state == machine.Initial.Name || state == machine.Final.Name ? "[*]" : state;
}
