using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using OrderFulfillment.FulfillmentService.Fulfillments;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.FulfillmentService.Data;

public sealed class FulfillmentDbContext(DbContextOptions<FulfillmentDbContext> options) : DbContext(options)
{
    public DbSet<FulfillmentState> Fulfillments => Set<FulfillmentState>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfiguration(new FulfillmentStateMap());
        modelBuilder.AddTransactionalOutboxTables();
    }
}

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
public sealed class FulfillmentDbContextDesignTimeFactory : IDesignTimeDbContextFactory<FulfillmentDbContext>
{
    public FulfillmentDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<FulfillmentDbContext>().UseNpgsql("Host=localhost;Database=fulfillments").Options);
}
