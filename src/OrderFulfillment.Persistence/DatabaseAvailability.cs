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
public sealed partial class DatabaseAvailability<TDbContext>
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

    readonly IServiceScopeFactory _scopeFactory;
    readonly ILogger _logger;
    readonly Lock _gate = new();
    TaskCompletionSource _available = CompletedSource();
    bool _pausedForDiskFull;
    string? _probeConnectionString;

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
    public string PauseReason => _pausedForDiskFull ? "the database cannot write (disk full)" : "the database does not answer";

    /// <summary>
    /// Whether <paramref name="exception"/> (or one it wraps) says the database is unreachable: PostgreSQL shutting down or
    /// refusing (<c>57P01</c>, <c>57P03</c>, <c>08xxx</c>), a connection refused or broken, a timeout while connecting or reading;
    /// or that it cannot write because its disk is full (<c>53100</c>, <see cref="IsDiskFull"/>).
    /// Concurrency conflicts and serialization failures are not outages.
    /// </summary>
    public static bool IsOutage(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return OutageSqlStates.Contains(postgres.SqlState) || postgres.SqlState == DiskFullSqlState;
                case NpgsqlException npgsql when npgsql.IsTransient:
                case SocketException:
                case TimeoutException:
                    return true;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsOutage):
                    return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="exception"/> (or one it wraps) is PostgreSQL's <c>disk_full</c> (<c>53100</c>).</summary>
    public static bool IsDiskFull(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres:
                    return postgres.SqlState == DiskFullSqlState;
                case AggregateException aggregate when aggregate.InnerExceptions.Any(IsDiskFull):
                    return true;
            }
        }

        return false;
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
        var diskFull = IsDiskFull(exception);
        if (await ProbeAsync(diskFull, cancellationToken).ConfigureAwait(false))
        {
            if (!diskFull)
                NpgsqlConnection.ClearAllPools();
            return false;
        }

        lock (_gate)
        {
            if (IsPaused)
                return true;
            _available = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pausedForDiskFull = diskFull;
            PausedSince = DateTimeOffset.UtcNow;
        }

        var reason = exception.GetBaseException();
        if (diskFull)
            LogPausedForDiskFull(reason.GetType().Name, reason.Message);
        else
            LogPaused(reason.GetType().Name, reason.Message);
        _ = Task.Run(() => ProbeUntilAvailableAsync(diskFull), CancellationToken.None);
        return true;
    }

    async Task ProbeUntilAvailableAsync(bool diskFull)
    {
        while (!await ProbeAsync(diskFull, CancellationToken.None).ConfigureAwait(false))
            await Task.Delay(ProbeInterval).ConfigureAwait(false);

        // Every pooled connection was opened before the outage and is broken: new ones for everything after the pause. A
        // full disk breaks no connection.
        if (!diskFull)
            NpgsqlConnection.ClearAllPools();
        var pausedFor = DateTimeOffset.UtcNow - (PausedSince ?? DateTimeOffset.UtcNow);
        lock (_gate)
        {
            PausedSince = null;
            _available.TrySetResult();
        }

        if (diskFull)
            LogWritesAgain(pausedFor.TotalSeconds);
        else
            LogResumed(pausedFor.TotalSeconds);
    }

    /// <summary>
    /// Opens a connection of its own (no pool, 2 s timeout) and runs <c>SELECT 1</c>, or, for a full disk, a write that needs
    /// new disk space (<see cref="WriteProbe"/>).
    /// </summary>
    async Task<bool> ProbeAsync(bool write, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ProbeConnectionString());
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(write ? WriteProbe : "SELECT 1", connection);
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

    [LoggerMessage(EventId = 9201, Level = LogLevel.Warning,
        Message = "Database unreachable ({Reason}: {ReasonMessage}): message consumption and outbox delivery paused until it answers")]
    partial void LogPaused(string reason, string reasonMessage);

    [LoggerMessage(EventId = 9202, Level = LogLevel.Warning,
        Message = "Database answers again after {PausedSeconds:0.0} s: message consumption and outbox delivery resumed")]
    partial void LogResumed(double pausedSeconds);

    [LoggerMessage(EventId = 9203, Level = LogLevel.Warning,
        Message = "Database cannot write, disk full ({Reason}: {ReasonMessage}): message consumption and outbox delivery paused until a write succeeds")]
    partial void LogPausedForDiskFull(string reason, string reasonMessage);

    [LoggerMessage(EventId = 9204, Level = LogLevel.Warning,
        Message = "Database writes again after {PausedSeconds:0.0} s: message consumption and outbox delivery resumed")]
    partial void LogWritesAgain(double pausedSeconds);
}
