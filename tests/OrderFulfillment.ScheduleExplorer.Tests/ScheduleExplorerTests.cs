using System.Diagnostics;
using OrderFulfillment.TestSupport.Schedules;
using Xunit.Abstractions;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>
/// Rules 3 to 6 hold for every arrival order, not only the ones we thought of: every interleaving of small message
/// sets, and thousands of seeded random schedules, through both services' real state machines on the test harness.
/// A failure prints the shrunk schedule as a line to paste into a test, and the seed that replays it.
/// </summary>
public sealed class ScheduleExplorerTests(ITestOutputHelper output)
{
    static int RandomCount => int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_SCHEDULES"), out var n) ? n : 10_000;
    static int Seed => int.TryParse(Environment.GetEnvironmentVariable("EXPLORER_SEED"), out var s) ? s : 20261127;

    [Fact]
    public async Task Every_interleaving_of_the_small_sets_keeps_the_contract()
    {
        var schedules = ScheduleGenerator.Exhaustive().ToList();
        var clock = Stopwatch.StartNew();

        var failures = await Explorer.RunAllAsync(schedules);

        output.WriteLine($"exhaustive: {schedules.Count} schedules, {schedules.Sum(s => s.Messages.Count)} messages in {clock.Elapsed.TotalSeconds:0.0} s");
        await ReportAsync(failures);
    }

    [Fact]
    public async Task Seeded_random_schedules_keep_the_contract()
    {
        var schedules = Enumerable.Range(Seed, RandomCount).Select(ScheduleGenerator.Random).ToList();
        var clock = Stopwatch.StartNew();

        var failures = await Explorer.RunAllAsync(schedules);

        output.WriteLine($"random: {schedules.Count} schedules (seeds {Seed}..{Seed + RandomCount - 1}), " +
                         $"{schedules.Sum(s => s.Messages.Count)} messages in {clock.Elapsed.TotalSeconds:0.0} s");
        await ReportAsync(failures);
    }

    [Fact]
    public async Task A_cancellation_racing_a_shipment_is_refused_once_the_shipment_won()
    {
        await using var system = await ExplorerSystem.StartAsync();

        var outcome = await system.RunAsync(new Schedule(2,
            [ScheduleMessage.Confirm(), ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.Cancel(), ScheduleMessage.WarehouseStep(1, "cancelled"),
                ScheduleMessage.Deliver(0)], "pasted"));

        Assert.True(outcome.Passed, outcome.ToString());
    }

    async Task ReportAsync(IReadOnlyList<ScheduleOutcome> failures)
    {
        if (failures.Count == 0)
            return;
        await using var system = await ExplorerSystem.StartAsync();
        var shrunk = await Explorer.ShrinkAsync(system, failures[0]);
        output.WriteLine($"{failures.Count} schedules failed; the first, shrunk from {failures[0].Schedule.Messages.Count} to {shrunk.Schedule.Messages.Count} messages:");
        output.WriteLine(shrunk.ToString());
        Assert.Fail($"{failures.Count} schedules broke the contract. Shrunk reproduction:\n{shrunk}");
    }
}
