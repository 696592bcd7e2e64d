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

        var result = await Explorer.RunAllAsync(schedules);

        var sets = schedules.GroupBy(s => s.Origin.Split(':')[1]).Select(g => $"{g.Key} {g.Count()}");
        output.WriteLine($"exhaustive: {schedules.Count} schedules ({string.Join(", ", sets)}), {Summary(schedules, result)} " +
                         $"in {clock.Elapsed.TotalSeconds:0.0} s");
        await ReportAsync(result.Failures);
    }

    [Fact]
    public async Task Seeded_random_schedules_keep_the_contract()
    {
        var schedules = Enumerable.Range(Seed, RandomCount).Select(ScheduleGenerator.Random).ToList();
        var clock = Stopwatch.StartNew();

        var result = await Explorer.RunAllAsync(schedules);

        var sizes = schedules.GroupBy(s => s.Fulfillments).OrderBy(g => g.Key).Select(g => $"{g.Count()} of {g.Key}");
        output.WriteLine($"random: {schedules.Count} schedules (seeds {Seed}..{Seed + RandomCount - 1}; fulfillments: {string.Join(", ", sizes)}), " +
                         $"{Summary(schedules, result)} in {clock.Elapsed.TotalSeconds:0.0} s");
        await ReportAsync(result.Failures);
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

    [Fact]
    public async Task A_held_shipment_waits_for_its_window_and_a_window_end_whose_token_is_not_current_changes_nothing()
    {
        await using var system = await ExplorerSystem.StartAsync();
        var schedule = new Schedule(1,
            [ScheduleMessage.Confirm(), ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.LateWindowEnds(0), ScheduleMessage.WarehouseStep(0, "picking_started"),
                ScheduleMessage.WindowEnds(0), ScheduleMessage.WarehouseStep(0, "picked"), ScheduleMessage.WindowEnds(0)], "pasted");

        var outcome = await system.RunAsync(schedule);

        Assert.True(outcome.Passed, outcome.ToString());
        Assert.Equal(["pending", "planning", "picking", "shipped"], ContractModel.Run(schedule).Model.Fulfillments[0].Announced);
    }

    /// <summary>
    /// The order's cancellation and a step of one of its fulfillments, taken at the same time by the two instances: when
    /// the step commits first, the cancellation's save of every fulfillment fails on that one's row version and is retried
    /// as a whole (it once left the other fulfillment cancelled but never announced, where the test database wrote part of a failed save).
    /// </summary>
    [Fact]
    public async Task An_order_cancellation_racing_a_step_on_the_other_instance_cancels_every_fulfillment_or_none()
    {
        var schedule = new Schedule(2, [ScheduleMessage.Confirm(), ScheduleMessage.Concurrently(ScheduleMessage.Cancel(), ScheduleMessage.WarehouseStep(1, "picked"))],
            "pasted");

        var result = await Explorer.RunAllAsync(Enumerable.Repeat(schedule, 100));

        Assert.True(result.Failures.Count == 0, string.Join("\n", result.Failures.Take(3)));
    }

    /// <summary>How many deliveries, window ends and concurrent pairs the schedules had, and the concurrency conflicts retried.</summary>
    static string Summary(List<Schedule> schedules, ExplorationResult result)
    {
        var deliveries = schedules.SelectMany(s => s.Messages).SelectMany(m => m.Deliveries).ToList();
        return $"{deliveries.Count} messages ({deliveries.Count(m => m.Kind == MessageKind.WindowEnds)} window ends, " +
               $"{deliveries.Count(m => m.Kind == MessageKind.LateWindowEnds)} late ones, " +
               $"{schedules.SelectMany(s => s.Messages).Count(m => m.Kind == MessageKind.Concurrent)} concurrent pairs; " +
               $"{result.ConcurrencyConflicts} saves retried on a concurrency conflict)";
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
