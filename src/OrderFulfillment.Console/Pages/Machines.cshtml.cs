using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OrderFulfillment.Console.Pages;

public sealed record StateMachineDiagram(string Id, string Title, string Description, string Mermaid);

/// <summary>Both sagas as diagrams, from the Mermaid files generated from the state machines (embedded at build).</summary>
public sealed class MachinesModel : PageModel
{
    public static readonly IReadOnlyList<StateMachineDiagram> All =
    [
        Load("order-machine", "Order (order service, OrderStateMachine)",
            "One per order. Its states are the order statuses: it moves forward to the status its fulfillments call for, and never back.", "order-state-machine.mmd"),
        Load("fulfillment-machine", "Fulfillment (fulfillment service, FulfillmentStateMachine)",
            "One per warehouse of an order; each state is the contract's fulfillment status of the same name.", "fulfillment-state-machine.mmd"),
    ];

    public IReadOnlyList<StateMachineDiagram> Diagrams => All;

    public void OnGet()
    {
    }

    static StateMachineDiagram Load(string id, string title, string description, string file)
    {
        using var stream = typeof(MachinesModel).Assembly.GetManifestResourceStream("Diagrams." + file)
                           ?? throw new InvalidOperationException($"Diagrams/{file} is not embedded in the console");
        using var reader = new StreamReader(stream);
        return new StateMachineDiagram(id, title, description, reader.ReadToEnd());
    }
}
