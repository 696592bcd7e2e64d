using System.Collections.Concurrent;
using OrderFulfillment.TestSupport.Schedules;

namespace OrderFulfillment.ScheduleExplorer.Tests;

/// <summary>Runs many schedules side by side (one order each) and shrinks a failing one to the fewest messages that still fail.</summary>
public static class Explorer
{
    public static async Task<IReadOnlyList<ScheduleOutcome>> RunAllAsync(ExplorerSystem system, IEnumerable<Schedule> schedules, int parallelism = 24)
    {
        var failures = new ConcurrentBag<ScheduleOutcome>();
        await Parallel.ForEachAsync(schedules, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (schedule, _) =>
        {
            var outcome = await system.RunAsync(schedule);
            if (!outcome.Passed)
                failures.Add(outcome);
        });
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
