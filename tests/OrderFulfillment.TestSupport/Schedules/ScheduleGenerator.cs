namespace OrderFulfillment.TestSupport.Schedules;

/// <summary>Schedules to explore: every interleaving of small message sets, and seeded random ones.</summary>
public static class ScheduleGenerator
{
    /// <summary>
    /// The exhaustive sets: after order.confirmed, every permutation of the messages, including an early delivery,
    /// completed, duplicates and stale steps, held steps whose gap closes (or not), hold windows that end before, between
    /// or after the steps (or with a token no longer current), a cancellation racing a shipment; in the sets marked so,
    /// also every way of delivering two neighbouring messages at once (a concurrent pair).
    /// </summary>
    public static IEnumerable<Schedule> Exhaustive()
    {
        var sets = new (int Fulfillments, ScheduleMessage[] Messages, bool Pairs, string Name)[]
        {
            // One fulfillment: a held shipment, completed, an early delivery, a duplicate and a held or stale step.
            (1, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(0, "completed"), ScheduleMessage.Deliver(0),
                ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(0, "picked")], false, "one"),
            // Two fulfillments: both shipped (held), both delivered (possibly early), one duplicate shipment.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(1, "shipped"), ScheduleMessage.Deliver(0),
                ScheduleMessage.Deliver(1), ScheduleMessage.WarehouseStep(1, "shipped")], false, "two"),
            // A cancellation racing a (held) shipment, a warehouse cancellation and a delivery.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.Cancel(), ScheduleMessage.WarehouseStep(1, "cancelled"),
                ScheduleMessage.Deliver(0), ScheduleMessage.WarehouseStep(1, "packed")], false, "cancel"),
            // Steps out of order: the gap closes step by step, or the window ends first and the rest are stale.
            (1, [ScheduleMessage.WarehouseStep(0, "picking_started"), ScheduleMessage.WarehouseStep(0, "picked"),
                ScheduleMessage.WarehouseStep(0, "packed"), ScheduleMessage.WarehouseStep(0, "ready_to_ship"), ScheduleMessage.WindowEnds(0)], false, "hold"),
            // A window end whose token is not current, one that is (or comes when nothing is held), a shipment that waits for both.
            (1, [ScheduleMessage.WarehouseStep(0, "packed"), ScheduleMessage.LateWindowEnds(0), ScheduleMessage.WindowEnds(0),
                ScheduleMessage.WarehouseStep(0, "picking_started"), ScheduleMessage.WarehouseStep(0, "shipped")], false, "late"),
            // Held steps released by cancellations: a held shipment refuses the order's cancellation and rejects the warehouse's.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(1, "packed"), ScheduleMessage.WindowEnds(0),
                ScheduleMessage.Cancel(), ScheduleMessage.WarehouseStep(0, "cancelled")], false, "held-cancel"),
            // Two instances at once: steps of one fulfillment, its window end, a warehouse cancellation.
            (1, [ScheduleMessage.WarehouseStep(0, "picking_started"), ScheduleMessage.WarehouseStep(0, "packing_started"),
                ScheduleMessage.WindowEnds(0), ScheduleMessage.WarehouseStep(0, "cancelled")], true, "pairs"),
            // Two instances at once: a shipment, its window end, the order's cancellation, the other fulfillment's step.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WindowEnds(0), ScheduleMessage.Cancel(),
                ScheduleMessage.WarehouseStep(1, "picking_started")], true, "pairs-two"),
        };
        foreach (var (fulfillments, messages, pairs, name) in sets)
        {
            var index = 0;
            var seen = new HashSet<string>();
            foreach (var permutation in Permutations(messages))
                foreach (var paired in pairs ? Pairings(permutation) : [permutation])
                    // A set with a message twice yields each interleaving twice: explored once.
                    if (seen.Add(string.Join(", ", paired.Select(m => m.ToString()))))
                        yield return new Schedule(fulfillments, [ScheduleMessage.Confirm(), .. paired], $"exhaustive:{name}:{index++}");
        }
    }

    /// <summary>
    /// A random schedule: what <see cref="RandomFromProducers"/> draws, plus hold windows ending at random points (some
    /// late, with a token no longer current) and some neighbouring messages delivered at once (concurrent pairs).
    /// </summary>
    public static Schedule Random(int seed)
    {
        var random = new Random(seed);
        var (fulfillments, merged) = Producers(random);

        // Hold windows ending anywhere: before anything is held, while steps are held, after the gap closed.
        for (var f = 0; f < fulfillments; f++)
        {
            var ends = random.NextDouble() < 0.6 ? random.Next(1, 3) : 0;
            for (var i = 0; i < ends; i++)
                merged.Insert(random.Next(merged.Count + 1), ScheduleMessage.WindowEnds(f));
            if (random.NextDouble() < 0.15)
                merged.Insert(random.Next(merged.Count + 1), ScheduleMessage.LateWindowEnds(f));
        }

        // Two instances taking neighbouring messages at the same time.
        var events = new List<ScheduleMessage>();
        for (var i = 0; i < merged.Count; i++)
        {
            if (i + 1 < merged.Count && merged[i].CanRunConcurrently && merged[i + 1].CanRunConcurrently && random.NextDouble() < 0.12)
            {
                events.Add(ScheduleMessage.Concurrently(merged[i], merged[i + 1]));
                i++;
            }
            else
                events.Add(merged[i]);
        }

        return new Schedule(fulfillments, [ScheduleMessage.Confirm(), .. events], $"random:{seed}");
    }

    /// <summary>
    /// A random schedule of what producers publish, in one arrival order (no window ends, no concurrent pairs): 1 to 3
    /// fulfillments; each WMS stream is the steps in order with some skipped, sometimes a cancellation; deliveries
    /// (sometimes early); duplicates; reordering inside one producer's stream; a cancellation request at a random point;
    /// the streams interleaved at random.
    /// </summary>
    public static Schedule RandomFromProducers(int seed)
    {
        var (fulfillments, merged) = Producers(new Random(seed));
        return new Schedule(fulfillments, [ScheduleMessage.Confirm(), .. merged], $"producers:{seed}");
    }

    static (int Fulfillments, List<ScheduleMessage> Merged) Producers(Random random)
    {
        var fulfillments = random.Next(1, 4);
        var streams = new List<List<ScheduleMessage>>();
        for (var f = 0; f < fulfillments; f++)
        {
            var wms = ScheduleMessage.Steps.Where(_ => random.NextDouble() < 0.6).Select(s => ScheduleMessage.WarehouseStep(f, s)).ToList();
            if (random.NextDouble() < 0.15)
                wms.Insert(random.Next(wms.Count + 1), ScheduleMessage.WarehouseStep(f, "cancelled"));
            streams.Add(wms);
            if (random.NextDouble() < 0.8)
                streams.Add([ScheduleMessage.Deliver(f)]);
        }

        if (random.NextDouble() < 0.25)
            streams.Add([ScheduleMessage.Cancel()]);

        // Reordering inside one producer's stream (a retry overtaking, a second publisher thread).
        foreach (var stream in streams)
            for (var i = 0; i + 1 < stream.Count; i++)
                if (random.NextDouble() < 0.15)
                    (stream[i], stream[i + 1]) = (stream[i + 1], stream[i]);

        var merged = new List<ScheduleMessage>();
        while (streams.Any(s => s.Count > 0))
        {
            var candidates = streams.Where(s => s.Count > 0).ToList();
            var stream = candidates[random.Next(candidates.Count)];
            merged.Add(stream[0]);
            stream.RemoveAt(0);
        }

        // Duplicates and redeliveries: a message seen again later.
        var copies = random.Next(0, 3);
        for (var i = 0; i < copies && merged.Count > 0; i++)
            merged.Insert(random.Next(merged.Count + 1), merged[random.Next(merged.Count)]);
        if (random.NextDouble() < 0.05)
            merged.Insert(random.Next(merged.Count + 1), ScheduleMessage.Confirm());

        return (fulfillments, merged);
    }

    static IEnumerable<ScheduleMessage[]> Permutations(ScheduleMessage[] items)
    {
        if (items.Length <= 1)
        {
            yield return items;
            yield break;
        }

        for (var i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var tail in Permutations(rest))
                yield return [items[i], .. tail];
        }
    }

    /// <summary>The sequence as it is, and every way of delivering some of its neighbouring messages two at a time (no message in two pairs).</summary>
    static IEnumerable<ScheduleMessage[]> Pairings(ScheduleMessage[] items)
    {
        if (items.Length == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var tail in Pairings(items[1..]))
            yield return [items[0], .. tail];
        if (items.Length >= 2 && items[0].CanRunConcurrently && items[1].CanRunConcurrently)
            foreach (var tail in Pairings(items[2..]))
                yield return [ScheduleMessage.Concurrently(items[0], items[1]), .. tail];
    }
}
