using Npgsql;

namespace OrderFulfillment.Persistence;

/// <summary>Npgsql connection settings for a process that consumes messages through this library.</summary>
public static class NpgsqlTuning
{
    /// <summary>
    /// Npgsql settings for a process that runs the same few statements (inbox, saga, outbox) for every message, unless
    /// the connection string sets them: a statement used 5 times is prepared on its connection (<c>Max Auto Prepare=32</c>),
    /// and a pooled connection is not reset (<c>DISCARD ALL</c>, one round trip) each time it goes back to the pool.
    /// </summary>
    public static string WithMessageProcessingDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!builder.ContainsKey("Max Auto Prepare"))
            builder.MaxAutoPrepare = 32;
        if (!builder.ContainsKey("No Reset On Close"))
            builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}
