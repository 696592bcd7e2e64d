using System.Text;
using MassTransit;
using MassTransit.SagaStateMachine;

namespace OrderFulfillment.Console.Tests.Diagrams;

/// <summary>A transition the machine makes in code (<c>context.TransitionToState</c>), which its graph cannot show.</summary>
public sealed record CodeTransition(string From, string To, string When);

/// <summary>
/// Writes a saga state machine as a Mermaid state diagram, from the machine itself: its declared transitions (a visitor
/// over each state's behaviour: state → event → state), plus the events a state accepts (<c>NextEvents</c>) that lead
/// nowhere (DuringAny handlers that record without a transition), as a note on the state.
/// Ignored events (duplicates, stale steps) are left out. Each state is labelled with its contract status(es).
/// </summary>
public static class StateMachineMermaid
{
    public static string Write<TInstance>(MassTransitStateMachine<TInstance> machine, Func<string, string?> statusesOf,
        IReadOnlyList<CodeTransition>? inCode = null)
        where TInstance : class, SagaStateMachineInstance
    {
        // (from, event, to), as the machine declares them: each TransitionTo in a state's behaviour for an event,
        // conditional ones included (MassTransit's own graph joins every state that takes an event to every state the
        // event leads to, from whichever state).
        var states = machine.States.Where(s => s != machine.Initial && s != machine.Final).ToList();
        var transitions = new TransitionCollector<TInstance>();
        machine.Accept(transitions);
        var steps = transitions.Steps.Distinct().ToList();
        var inGraph = steps.Select(s => s.Event).ToHashSet(StringComparer.Ordinal);

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

    /// <summary>Each <c>TransitionTo</c> with the state and event whose behaviour holds it.</summary>
    sealed class TransitionCollector<TInstance> : StateMachineVisitor
        where TInstance : class, SagaStateMachineInstance
    {
        string _state = "";
        string _event = "";

        public List<(string From, string Event, string To)> Steps { get; } = [];

        public void Visit(State state, Action<State> next)
        {
            _state = state.Name;
            next(state);
        }

        public void Visit(Event @event, Action<Event> next)
        {
            _event = @event.Name;
            next(@event);
        }

        public void Visit<TMessage>(Event<TMessage> @event, Action<Event<TMessage>> next)
            where TMessage : class
        {
            _event = @event.Name;
            next(@event);
        }

        public void Visit(IStateMachineActivity activity) => Visit(activity, _ => { });

        public void Visit(IStateMachineActivity activity, Action<IStateMachineActivity> next)
        {
            if (activity is TransitionActivity<TInstance> transition)
                Steps.Add((_state, _event, transition.ToState.Name));
            next(activity);
        }

        public void Visit<T>(IBehavior<T> behavior)
            where T : class, SagaStateMachineInstance => Visit(behavior, _ => { });

        public void Visit<T>(IBehavior<T> behavior, Action<IBehavior<T>> next)
            where T : class, SagaStateMachineInstance => next(behavior);

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior)
            where T : class, SagaStateMachineInstance
            where TMessage : class => Visit(behavior, _ => { });

        public void Visit<T, TMessage>(IBehavior<T, TMessage> behavior, Action<IBehavior<T, TMessage>> next)
            where T : class, SagaStateMachineInstance
            where TMessage : class => next(behavior);
    }
}
