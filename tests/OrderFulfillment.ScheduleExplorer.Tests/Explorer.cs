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
    public static async Task<ExplorationResult> RunAllAsync(IEnumerable<Schedule> schedules, int parallelism = 6, int perSystem = 1000)
    {
        var failures = new ConcurrentBag<ScheduleOutcome>();
        var conflicts = 0;
        foreach (var chunk in schedules.Chunk(perSystem))
        {
            await using var system = await ExplorerSystem.StartAsync();
            await Parallel.ForEachAsync(chunk, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (schedule, _) =>
            {
                var outcome = await system.RunAsync(schedule);
                if (!outcome.Passed)
                    failures.Add(outcome);
            });
            conflicts += system.ConcurrencyConflicts;
        }

        return new ExplorationResult([.. failures.OrderBy(f => f.Schedule.Messages.Count)], conflicts);
    }

    /// <summary>
    /// Removes messages (never the first confirmation) one at a time while the schedule still fails, and delivers a
    /// concurrent pair's messages one after the other, or one of them alone, where that still fails.
    /// </summary>
    public static async Task<ScheduleOutcome> ShrinkAsync(ExplorerSystem system, ScheduleOutcome failure)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(failure);
        var current = failure;
        var shrunk = true;
        while (shrunk)
        {
            shrunk = false;
            foreach (var messages in Smaller(current.Schedule.Messages))
            {
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

    /// <summary>The schedules one step smaller: without one message; with a pair split or reduced to one of its messages.</summary>
    static IEnumerable<List<ScheduleMessage>> Smaller(IReadOnlyList<ScheduleMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 1; i--)
            yield return [.. messages.Take(i), .. messages.Skip(i + 1)];
        for (var i = messages.Count - 1; i >= 1; i--)
            if (messages[i] is { Kind: MessageKind.Concurrent, First: { } first, Second: { } second })
            {
                yield return [.. messages.Take(i), first, .. messages.Skip(i + 1)];
                yield return [.. messages.Take(i), second, .. messages.Skip(i + 1)];
                yield return [.. messages.Take(i), first, second, .. messages.Skip(i + 1)];
            }
    }
}

/// <summary>What a run of many schedules found: the failures (fewest messages first), and how many saves were retried on a concurrency conflict.</summary>
public sealed record ExplorationResult(IReadOnlyList<ScheduleOutcome> Failures, int ConcurrencyConflicts);
