using MassTransit;
using Microsoft.EntityFrameworkCore;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Hosting;

/// <summary>
/// Holds every message while the database does not answer, and runs again a message whose processing (retries included)
/// failed because it stopped answering, once it answers: a database outage dead-letters nothing. It sits outside retry,
/// inside the endpoint's partitioner, so a held message keeps its saga's later messages behind it. The messages the
/// consumer holds stay unacknowledged (at most the prefetch count), and the broker keeps the rest in the queue.
/// A failure the database's own probe does not confirm as an outage goes on to the error pipe as before.
/// </summary>
public sealed class DatabaseOutageFilter<TDbContext>(DatabaseAvailability<TDbContext> database) : IFilter<ConsumeContext>
    where TDbContext : DbContext
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        while (true)
        {
            await database.WaitUntilAvailableAsync(context.CancellationToken).ConfigureAwait(false);
            try
            {
                await next.Send(context).ConfigureAwait(false);
                return;
            }
            catch (Exception exception) when (DatabaseAvailability<TDbContext>.IsOutage(exception) && !context.CancellationToken.IsCancellationRequested)
            {
                if (!await database.ConfirmOutageAsync(exception, context.CancellationToken).ConfigureAwait(false))
                    throw;
            }
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("databaseOutage");
}
