using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrderFulfillment.Persistence.Outbox;

/// <summary>
/// Removes delivered outbox rows after their retention and inbox rows after the inbox window, in bounded batches
/// so that cleanup never holds long locks and keeps up with the message rate.
/// </summary>
internal sealed partial class OutboxCleanupService<TDbContext>(
    IServiceScopeFactory scopeFactory,
    IOptions<TransactionalOutboxOptions> options,
    DatabaseAvailability<TDbContext> database,
    ILogger<OutboxCleanupService<TDbContext>> logger)
    : BackgroundService
    where TDbContext : DbContext
{
    const int BatchSize = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await database.WaitUntilAvailableAsync(stoppingToken).ConfigureAwait(false);
                    await CleanupAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (DatabaseAvailability<TDbContext>.IsOutage(exception))
                {
                    // Delivery and consumption report the outage; cleanup simply runs again at the next interval.
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogCleanupFailed(exception);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task<(int Outbox, int Inbox)> CleanupAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var dbContext = scope.ServiceProvider.GetRequiredService<TDbContext>();
        var deliveredBefore = DateTimeOffset.UtcNow - options.Value.DeliveredRetention;
        var receivedBefore = DateTimeOffset.UtcNow - options.Value.InboxRetention;

        int outbox = 0, inbox = 0, removed;
        do
        {
            removed = await dbContext.Database.ExecuteSqlRawAsync(
                $"DELETE FROM {TransactionalOutboxTables.OutboxMessage} WHERE sequence_number IN (SELECT sequence_number FROM {TransactionalOutboxTables.OutboxMessage} WHERE delivered_at < {{0}} LIMIT {{1}})",
                [deliveredBefore, BatchSize], cancellationToken).ConfigureAwait(false);
            outbox += removed;
        } while (removed == BatchSize);

        do
        {
            removed = await dbContext.Database.ExecuteSqlRawAsync(
                $"DELETE FROM {TransactionalOutboxTables.InboxMessage} WHERE ctid IN (SELECT ctid FROM {TransactionalOutboxTables.InboxMessage} WHERE received_at < {{0}} LIMIT {{1}})",
                [receivedBefore, BatchSize], cancellationToken).ConfigureAwait(false);
            inbox += removed;
        } while (removed == BatchSize);

        if (outbox + inbox > 0)
            LogCleaned(outbox, inbox);
        return (outbox, inbox);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox cleanup removed {OutboxRows} delivered outbox rows and {InboxRows} inbox rows")]
    partial void LogCleaned(int outboxRows, int inboxRows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox cleanup failed; it runs again at the next interval")]
    partial void LogCleanupFailed(Exception exception);
}
