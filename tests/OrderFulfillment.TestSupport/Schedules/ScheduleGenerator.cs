namespace OrderFulfillment.TestSupport.Schedules;

/// <summary>Schedules to explore: every interleaving of small message sets, and seeded random ones.</summary>
public static class ScheduleGenerator
{
    /// <summary>
    /// The exhaustive sets: after order.confirmed, every permutation of the producers' messages, including an early
    /// delivery, completed, a duplicate and a stale step, and a cancellation racing a shipment.
    /// </summary>
    public static IEnumerable<Schedule> Exhaustive()
    {
        var sets = new (int Fulfillments, ScheduleMessage[] Messages, string Name)[]
        {
            // One fulfillment: a skip-ahead shipment, completed, an early delivery, a duplicate and a stale step.
            (1, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(0, "completed"), ScheduleMessage.Deliver(0),
                ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(0, "picked")], "one"),
            // Two fulfillments: both shipped, both delivered (possibly early), one duplicate shipment.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.WarehouseStep(1, "shipped"), ScheduleMessage.Deliver(0),
                ScheduleMessage.Deliver(1), ScheduleMessage.WarehouseStep(1, "shipped")], "two"),
            // A cancellation racing a shipment, a warehouse cancellation and a delivery.
            (2, [ScheduleMessage.WarehouseStep(0, "shipped"), ScheduleMessage.Cancel(), ScheduleMessage.WarehouseStep(1, "cancelled"),
                ScheduleMessage.Deliver(0), ScheduleMessage.WarehouseStep(1, "packed")], "cancel"),
        };
        foreach (var (fulfillments, messages, name) in sets)
        {
            var index = 0;
            foreach (var permutation in Permutations(messages))
                yield return new Schedule(fulfillments, [ScheduleMessage.Confirm(), .. permutation], $"exhaustive:{name}:{index++}");
        }
    }

    /// <summary>
    /// A random schedule: 1 to 3 fulfillments; each WMS stream is the steps in order with some skipped, sometimes a
    /// cancellation; deliveries (sometimes early); duplicates; reordering inside one producer's stream; a cancellation
    /// request at a random point; the streams interleaved at random.
    /// </summary>
    public static Schedule Random(int seed)
    {
        var random = new Random(seed);
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

        return new Schedule(fulfillments, [ScheduleMessage.Confirm(), .. merged], $"random:{seed}");
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
}
