using OrderFulfillment.Contracts;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Messaging;
using OrderFulfillment.OrderService.OrderStatus;

namespace OrderFulfillment.Console.Tests.Diagrams;

/// <summary>
/// The console's diagrams are generated from the sagas; these golden-file tests fail when a machine changes and the
/// committed Mermaid files do not. To regenerate: UPDATE_DIAGRAMS=1 dotnet test --filter StateMachineDiagramTests.
/// </summary>
public sealed class StateMachineDiagramTests
{
    // The order's states are its statuses; its transitions are declared, forward only, from the no-regression rule.
    public static string OrderMachine() => StateMachineMermaid.Write(new OrderStateMachine(new OrderFulfillmentMetrics()),
        state => OrderStatusMap.Table.States.GetValueOrDefault(state));

    // Planned announces pending and then planning in one step: the saga rests in Planning.
    public static string FulfillmentMachine() => StateMachineMermaid.Write(
        new FulfillmentStateMachine(Microsoft.Extensions.Options.Options.Create(new FulfillmentDeadlineOptions()),
            Microsoft.Extensions.Options.Options.Create(new StepHoldOptions()), new OrderFulfillmentMetrics()),
        state => FulfillmentStatusMap.Table.States.GetValueOrDefault(state),
        [new CodeTransition("Pending", "Planning", "announced, then planning at once")]);

    [Fact]
    public void The_order_machine_diagram_is_current() => AssertGolden("order-state-machine.mmd", OrderMachine());

    [Fact]
    public void The_fulfillment_machine_diagram_is_current() => AssertGolden("fulfillment-state-machine.mmd", FulfillmentMachine());

    [Fact]
    public void Every_fulfillment_status_of_the_contract_is_a_state_in_the_diagram()
    {
        var diagram = FulfillmentMachine();
        foreach (var status in FulfillmentStatuses.All)
            Assert.Contains($": {status}\" as ", diagram, StringComparison.Ordinal);
        Assert.Contains("[*] --> Planning : Planned", diagram, StringComparison.Ordinal);
        Assert.Contains("Shipped --> Completed : WarehouseCompleted (also from Pending … Ready)", diagram, StringComparison.Ordinal);
    }

    static void AssertGolden(string file, string generated)
    {
        var path = Path.Combine(RepositoryRoot(), "src", "OrderFulfillment.Console", "Diagrams", file);
        if (Environment.GetEnvironmentVariable("UPDATE_DIAGRAMS") == "1")
            File.WriteAllText(path, generated);
        Assert.True(File.Exists(path), $"{path} is missing: run with UPDATE_DIAGRAMS=1 to write it");
        Assert.Equal(File.ReadAllText(path), generated);
    }

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OrderFulfillment.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("OrderFulfillment.sln not found above " + AppContext.BaseDirectory);
    }
}
