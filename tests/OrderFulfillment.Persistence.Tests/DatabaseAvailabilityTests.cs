using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Persistence.Tests;

/// <summary>Which failures pause consumption (an outage, a full disk) and which go on to retry and the error queue.</summary>
public sealed class DatabaseAvailabilityTests
{
    static PostgresException Postgres(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("57P01", true, false)] // admin_shutdown
    [InlineData("57P03", true, false)] // cannot_connect_now
    [InlineData("08006", true, false)] // connection_failure
    [InlineData("53100", true, true)] // disk_full: could not extend a file
    [InlineData("40001", false, false)] // serialization_failure: retried, not a pause
    [InlineData("23505", false, false)] // unique_violation
    [InlineData("53200", false, false)] // out_of_memory: not a full disk
    public void A_postgres_error_is_a_pause_by_its_sql_state(string sqlState, bool outage, bool diskFull)
    {
        Assert.Equal(outage, DatabaseAvailability<DbContext>.IsOutage(Postgres(sqlState)));
        Assert.Equal(diskFull, DatabaseAvailability<DbContext>.IsDiskFull(Postgres(sqlState)));
    }

    [Fact]
    public void A_full_disk_wrapped_by_ef_core_is_found_inside()
    {
        var saveFailed = new DbUpdateException("An error occurred while saving the entity changes.", Postgres("53100"));

        Assert.True(DatabaseAvailability<DbContext>.IsOutage(saveFailed));
        Assert.True(DatabaseAvailability<DbContext>.IsDiskFull(saveFailed));
    }

    [Fact]
    public void A_refused_connection_is_an_outage_but_not_a_full_disk()
    {
        var refused = new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused));

        Assert.True(DatabaseAvailability<DbContext>.IsOutage(refused));
        Assert.False(DatabaseAvailability<DbContext>.IsDiskFull(refused));
    }

    [Fact]
    public void Failures_together_are_a_full_disk_when_any_of_them_is()
    {
        var both = new AggregateException(new TimeoutException(), Postgres("53100"));
        var conflict = new AggregateException(Postgres("40001"), Postgres("23505"));

        Assert.True(DatabaseAvailability<DbContext>.IsOutage(both));
        Assert.True(DatabaseAvailability<DbContext>.IsDiskFull(both));
        Assert.False(DatabaseAvailability<DbContext>.IsOutage(conflict));
    }
}
