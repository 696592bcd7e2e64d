using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OrderFulfillment.Persistence;

/// <summary>
/// Whether the service's database answers. A failure that looks like an outage (<see cref="IsOutage"/>) is confirmed by
/// opening a connection of its own; when that fails too, message consumption and outbox delivery pause
/// (<see cref="WaitUntilAvailableAsync"/>) and a probe tries the database every second until it answers, then they resume.
/// One Warning line when it pauses (EventId 9201) and one when it resumes (9202), however many messages were waiting.
/// A database that answers but cannot write because its disk is full (<c>53100</c>) pauses the same way; its probe is a
/// write that needs new disk space, and its lines are 9203 and 9204.
/// </summary>
/// <remarks>
/// The retry policy alone is shorter than a failover or a maintenance restart (30-60 s): without the pause, every message
/// that arrived meanwhile would end in <c>_error</c>. A single broken pooled connection (the first use of each after a
/// restart) is not an outage: the probe answers, the pool is cleared, and the message is retried as usual.
/// </remarks>
public sealed class DatabaseAvailability<TDbContext>
    where TDbContext : DbContext
{
    /// <summary>PostgreSQL's codes for a server that went away or cannot be reached: shutdown, connection failures.</summary>
    static readonly HashSet<string> OutageSqlStates = ["57P01", "57P02", "57P03", "08000", "08001", "08003", "08004", "08006"];

    /// <summary>PostgreSQL's <c>disk_full</c>: a file could not be extended. Reads still work; a retry cannot mend it.</summary>
    const string DiskFullSqlState = "53100";

    // A temporary table of a few pages lives in the database's own tablespace: creating it needs new disk space there,
    // which is what a service's inserts need. ON COMMIT DROP leaves nothing behind.
    const string WriteProbe = """
        BEGIN;
        CREATE TEMPORARY TABLE orderfulfillment_write_probe ON COMMIT DROP AS SELECT repeat('x', 1000) AS filler FROM generate_series(1, 24);
        COMMIT;
        """;

    static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>The Warning lines of a pause and of its end, by what caused it (docs/operations.md names them).</summary>
    static readonly Dictionary<Outage, (Action<ILogger, string, string, Exception?> Paused, Action<ILogger, double, Exception?> Resumed)> Lines = new()
    {
        [Outage.Unreachable] = (
            LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(9201, "DatabaseUnreachable"),
                "Database unreachable ({Reason}: {ReasonMessage}): message consumption and outbox delivery paused until it answers"),
            LoggerMessage.Define<double>(LogLevel.Warning, new EventId(9202, "DatabaseAnswers"),
                "Database answers again after {PausedSeconds:0.0} s: message consumption and outbox delivery resumed")),
        [Outage.DiskFull] = (
            LoggerMessage.Define<string, string>(LogLevel.Warning, new EventId(9203, "DatabaseDiskFull"),
                "Database cannot write, disk full ({Reason}: {ReasonMessage}): message consumption and outbox delivery paused until a write succeeds"),
            LoggerMessage.Define<double>(LogLevel.Warning, new EventId(9204, "DatabaseWrites"),
                "Database writes again after {PausedSeconds:0.0} s: message consumption and outbox delivery resumed")),
    };

    readonly IServiceScopeFactory _scopeFactory;
    readonly ILogger _logger;
    readonly Lock _gate = new();
    TaskCompletionSource _available = CompletedSource();
    Outage _pausedFor;
    string? _probeConnectionString;

    /// <summary>What a failure says about the database, from the least to the most it says.</summary>
    enum Outage
    {
        None,
        Unreachable,
        DiskFull,
    }

    /// <summary>Creates the availability of <typeparamref name="TDbContext"/>'s database; one per process.</summary>
    public DatabaseAvailability(IServiceScopeFactory scopeFactory, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _scopeFactory = scopeFactory;
        _logger = loggerFactory.CreateLogger("OrderFulfillment.DatabaseOutage");
    }

    /// <summary>When the pause began, while paused; otherwise null.</summary>
    public DateTimeOffset? PausedSince { get; private set; }

    /// <summary>Whether message consumption and outbox delivery are paused because the database does not answer or cannot write.</summary>
    public bool IsPaused => !_available.Task.IsCompleted;

    /// <summary>Why consumption is paused, for /health/ready: the database does not answer, or cannot write.</summary>
    public string PauseReason => _pausedFor == Outage.DiskFull ? "the database cannot write (disk full)" : "the database does not answer";

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) says the database is unreachable: PostgreSQL shutting down or
    /// refusing (<c>57P01</c>, <c>57P03</c>, <c>08xxx</c>), a connection refused or broken, a timeout while connecting or reading;
    /// or that it cannot write because its disk is full (<c>53100</c>, <see cref="IsDiskFull"/>).
    /// Concurrency conflicts and serialization failures are not outages.
    /// </summary>
    public static bool IsOutage(Exception? exception) => Classify(exception) != Outage.None;

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) is PostgreSQL's <c>disk_full</c> (<c>53100</c>).</summary>
    public static bool IsDiskFull(Exception? exception) => Classify(exception) == Outage.DiskFull;

    /// <summary>
    /// The most <paramref name="exception"/> and those it wraps say: PostgreSQL's own code where there is one (a full disk,
    /// or a server going away), else unreachable for a connection refused, broken or timed out.
    /// </summary>
    static Outage Classify(Exception? exception)
    {
        var outage = Outage.None;
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState == DiskFullSqlState ? Outage.DiskFull
                        : OutageSqlStates.Contains(postgres.SqlState) ? Outage.Unreachable
                        : outage;
                case NpgsqlException npgsql when npgsql.IsTransient:
                case SocketException:
                case TimeoutException:
                    outage = Outage.Unreachable; // a disk_full it wraps still says more
                    break;
                case AggregateException aggregate:
                    return aggregate.InnerExceptions.Select(Classify).Append(outage).Max();
            }
        }

        return outage;
    }

    /// <summary>Completes at once while the database answers; while paused, when it answers again.</summary>
    public Task WaitUntilAvailableAsync(CancellationToken cancellationToken) => _available.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Called with a failure that <see cref="IsOutage"/> recognised: true when the database is (now) paused as unreachable,
    /// false when a connection of its own gets through (the failure was one broken connection; the pool is cleared). A disk
    /// full failure is confirmed by a write of its own instead: true while that write fails too.
    /// </summary>
    public async Task<bool> ConfirmOutageAsync(Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (IsPaused)
            return true;
        var outage = IsDiskFull(exception) ? Outage.DiskFull : Outage.Unreachable;
        if (await ProbeAsync(outage, cancellationToken).ConfigureAwait(false))
        {
            if (outage == Outage.Unreachable)
                NpgsqlConnection.ClearAllPools();
            return false;
        }

        lock (_gate)
        {
            if (IsPaused)
                return true;
            _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pausedFor = outage;
            PausedSince = DateTimeOffset.UtcNow;
        }

        var reason = exception.GetBaseException();
        Lines[outage].Paused(_logger, reason.GetType().Name, reason.Message, null);
        _ = Task.Run(() => ProbeUntilAvailableAsync(outage), CancellationToken.None);
        return true;
    }

    async Task ProbeUntilAvailableAsync(Outage outage)
    {
        while (!await ProbeAsync(outage, CancellationToken.None).ConfigureAwait(false))
            await Task.Delay(ProbeInterval).ConfigureAwait(false);

        // Every pooled connection was opened before the outage and is broken: new ones for everything after the pause. A
        // full disk breaks no connection.
        if (outage == Outage.Unreachable)
            NpgsqlConnection.ClearAllPools();
        var pausedFor = DateTimeOffset.UtcNow - (PausedSince ?? DateTimeOffset.UtcNow);
        lock (_gate)
        {
            PausedSince = null;
            _available.TrySetResult();
        }

        Lines[outage].Resumed(_logger, pausedFor.TotalSeconds, null);
    }

    /// <summary>
    /// Opens a connection of its own (no pool, 2 s timeout) and runs <c>SELECT 1</c>, or, for a full disk, a write that needs
    /// new disk space (<see cref="WriteProbe"/>).
    /// </summary>
    async Task<bool> ProbeAsync(Outage outage, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ProbeConnectionString());
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(outage == Outage.DiskFull ? WriteProbe : "SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    string ProbeConnectionString()
    {
        if (_probeConnectionString is not null)
            return _probeConnectionString;
        using var scope = _scopeFactory.CreateScope();
        var connectionString = scope.ServiceProvider.GetRequiredService<TDbContext>().Database.GetConnectionString()
            ?? throw new InvalidOperationException($"{typeof(TDbContext).Name} has no connection string");
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2, CommandTimeout = 2 };
        return _probeConnectionString = builder.ConnectionString;
    }

    static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        source.SetResult();
        return source;
    }
}
