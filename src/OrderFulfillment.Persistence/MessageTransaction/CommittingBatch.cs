using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace OrderFulfillment.Persistence.MessageTransaction;

/// <summary>
/// Statements and the COMMIT of the DbContext's open transaction in one round trip (one <see cref="NpgsqlBatch"/>), where
/// <c>NpgsqlTransaction.Commit</c> would cost a round trip of its own. A statement that fails stops the batch before the
/// COMMIT; the transaction is then rolled back by its disposal. After a COMMIT that ran, Npgsql (which follows the
/// transaction's state from the server's answers) counts the transaction as completed, and its disposal sends nothing.
/// </summary>
internal static class CommittingBatch
{
    public static async Task ExecuteAsync(DbContext dbContext, IEnumerable<NpgsqlBatchCommand> commands, CancellationToken cancellationToken)
    {
        var connection = (NpgsqlConnection)dbContext.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction?)dbContext.Database.CurrentTransaction?.GetDbTransaction()
                          ?? throw new InvalidOperationException("A committing batch runs inside the DbContext's transaction.");
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var command in commands)
            batch.BatchCommands.Add(command);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
