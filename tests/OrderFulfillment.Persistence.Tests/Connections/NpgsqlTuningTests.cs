using Npgsql;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Persistence.Tests.Connections;

public sealed class NpgsqlTuningTests
{
    [Fact]
    public void A_connection_string_without_them_gets_auto_prepare_and_no_reset_on_close()
    {
        var tuned = new NpgsqlConnectionStringBuilder(NpgsqlTuning.WithMessageProcessingDefaults("Host=db;Username=app"));

        Assert.Equal(32, tuned.MaxAutoPrepare);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("db", tuned.Host);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;maxautoprepare=0;NORESETONCLOSE=false")]
    public void What_the_connection_string_sets_is_kept(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(NpgsqlTuning.WithMessageProcessingDefaults(connectionString));

        Assert.Equal(0, tuned.MaxAutoPrepare);
        Assert.False(tuned.NoResetOnClose);
    }
}
