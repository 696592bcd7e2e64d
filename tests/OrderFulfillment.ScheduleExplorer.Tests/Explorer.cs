using System.Collections.Concurrent;
using OrderFulfillment.TestSupport.Schedules;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>Runs many schedules side by side (one order each) and shrinks a failing one to the fewest messages that still fail.</summary>
public static class Explorer
{
    /// <summary>
    /// Runs the schedules, a few at a time: each waits for the effects of one message before publishing the next, and
    /// more orders at once only add rows that EF Core's in-memory database reads (and converts) on every query
    /// (measured: 6 at a time 37 schedules/s, 24 at a time 29/s, 48 at a time 26/s). Every <paramref name="perSystem"/>
    /// schedules a fresh system takes over, since the test harness keeps every message it has seen.
    /// </summary>
    public static async Task<IReadOnlyList<ScheduleOutcome>> RunAllAsync(IEnumerable<Schedule> schedules, int parallelism = 6, int perSystem = 1000)
    {
        var failures = new ConcurrentBag<ScheduleOutcome>();
        foreach (var chunk in schedules.Chunk(perSystem))
        {
            await using var system = await ExplorerSystem.StartAsync();
            await Parallel.ForEachAsync(chunk, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (schedule, _) =>
            {
                var outcome = await system.RunAsync(schedule);
                if (!outcome.Passed)
                    failures.Add(outcome);
            });
        }

        return [.. failures.OrderBy(f => f.Schedule.Messages.Count)];
    }

    /// <summary>Removes messages (never the first confirmation) one at a time while the schedule still fails.</summary>
    public static async Task<ScheduleOutcome> ShrinkAsync(ExplorerSystem system, ScheduleOutcome failure)
    {
        var current = failure;
        var shrunk = true;
        while (shrunk)
        {
            shrunk = false;
            for (var i = current.Schedule.Messages.Count - 1; i >= 1; i--)
            {
                var messages = current.Schedule.Messages.Where((_, j) => j != i).ToList();
                var candidate = await system.RunAsync(current.Schedule with { Messages = messages });
                if (!candidate.Passed)
                {
                    current = candidate;
                    shrunk = true;
                    break;
                }
            }
        }

        return current;
    }
}
