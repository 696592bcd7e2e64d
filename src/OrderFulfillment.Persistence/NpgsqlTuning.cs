using System.Data.Common;
using Npgsql;

namespace OrderFulfillment.Persistence;

/// <summary>Npgsql connection settings for a process that consumes messages through this library.</summary>
public static class NpgsqlTuning
{
    /// <summary>
    /// Npgsql settings for a process that runs the same few statements (inbox, saga, outbox) for every message, unless
    /// the connection string sets them: a statement used 5 times is prepared on its connection (<c>Max Auto Prepare=32</c>),
    /// and a pooled connection is not reset (<c>DISCARD ALL</c>, one more statement, which also drops the prepared ones)
    /// each time it goes back to the pool.
    /// </summary>
    public static string WithMessageProcessingDefaults(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets(connectionString, "Max Auto Prepare"))
            builder.MaxAutoPrepare = 32;
        if (!Sets(connectionString, "No Reset On Close"))
            builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }

    /// <summary>
    /// Whether the connection string itself names <paramref name="keyword"/> (spaces and case aside).
    /// <see cref="NpgsqlConnectionStringBuilder.ContainsKey"/> cannot tell: it answers true for every keyword Npgsql knows.
    /// </summary>
    static bool Sets(string connectionString, string keyword)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var wanted = keyword.Replace(" ", "", StringComparison.Ordinal);
        return given.Keys.Cast<string>().Any(k => string.Equals(k.Replace(" ", "", StringComparison.Ordinal), wanted, StringComparison.OrdinalIgnoreCase));
    }
}
