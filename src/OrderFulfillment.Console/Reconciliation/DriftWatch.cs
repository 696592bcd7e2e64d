using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OrderFulfillment.Console.Hosting;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.Reconciliation;

namespace OrderFulfillment.Console.Reconciliation;

/// <summary>A completed sweep: when, how many open orders it compared, and the drift it confirmed.</summary>
public sealed record DriftSweep(DateTimeOffset FinishedAt, int OrdersChecked, IReadOnlyList<Drift> Drifts);

/// <summary>A sweep that could not finish (a service or its status API did not answer), and why.</summary>
public sealed record SweepFailure(DateTimeOffset At, string Reason);

/// <summary>
/// The reconciliation sweep on a timer (<c>Reconcile__Interval</c>; docs/operations.md, "Reconciliation"), with the
/// comparison and repair of <see cref="Reconciler"/>, the same as <c>ofctl reconcile</c>. A difference is reported only
/// when a second look at its order, <see cref="Settle"/> later, finds exactly the same: a status change on its way
/// between the services is not drift. Reported as the gauge <c>orderfulfillment_reconcile_drift</c> (the last sweep's
/// count, by <c>repairable</c>), one Warning line per drift when it is first found (EventId 9301; one Information line
/// when it is gone, 9302), and the console's <c>/reconcile</c> page.
/// </summary>
public sealed partial class DriftWatch : BackgroundService
{
    /// <summary>Between the first look at a drifted order and the second: far longer than a status change takes between the services.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    readonly Reconciler _reconciler;
    readonly TimeProvider _clock;
    readonly ILogger _logger;
    readonly Counter<long> _sweeps;
    readonly SemaphoreSlim _oneAtATime = new(1, 1);
    volatile DriftSweep? _last;
    volatile SweepFailure? _lastFailure;

    public DriftWatch(Reconciler reconciler, IOptions<ReconcileOptions> options, TimeProvider clock, IMeterFactory meters, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(loggers);
        _reconciler = reconciler;
        _clock = clock;
        Interval = options.Value.Interval;
        _logger = loggers.CreateLogger("OrderFulfillment.Reconciliation");
        var meter = meters.Create(FleetMetrics.MeterName);
        // Series from the first completed sweep on (none while the sweep is off): 0 is a sweep that found nothing.
        meter.CreateObservableGauge<int>("orderfulfillment.reconcile.drift", DriftMeasurements, "{fulfillment}",
            "Fulfillments the order service and the fulfillment service disagreed on in the last completed sweep");
        meter.CreateObservableGauge<double>("orderfulfillment.reconcile.last_sweep_timestamp", LastSweepMeasurements, "s",
            "When the last completed sweep finished (Unix time)");
        _sweeps = meter.CreateCounter<long>("orderfulfillment.reconcile.sweeps", "{sweep}", "Reconciliation sweeps, by outcome (completed, failed)");
    }

    /// <summary>Time between two sweeps; zero when only an operator sweeps.</summary>
    public TimeSpan Interval { get; }

    public DriftSweep? LastSweep => _last;

    /// <summary>The last sweep that failed, while no sweep has completed since.</summary>
    public SweepFailure? LastFailure => _lastFailure is { } failure && (_last is null || failure.At > _last.FinishedAt) ? failure : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Interval == TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(Interval, _clock);
        do
        {
            await SweepAsync(stoppingToken).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>Compares every open order now (waiting for a sweep under way to end first); a failure is kept in <see cref="LastFailure"/>.</summary>
    public async Task SweepAsync(CancellationToken ct)
    {
        await _oneAtATime.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var found = await _reconciler.SweepAsync(repair: false, ct).ConfigureAwait(false);
            var confirmed = found.Drifts.Count == 0 ? [] : await ConfirmAsync(found.Drifts, ct).ConfigureAwait(false);
            var before = _last?.Drifts ?? [];
            foreach (var drift in confirmed.Except(before))
                LogDriftFound(drift.OrderId, drift.FulfillmentId, drift.OrderServiceStatus ?? "nothing", drift.OrderServiceSequence,
                    drift.FulfillmentStatus, drift.FulfillmentSequence, drift.Repairable ? "repair it on the console's /reconcile page or with ofctl reconcile"
                        : "the order service is ahead, not repairable by an announcement");
            foreach (var drift in before.Where(b => !confirmed.Any(c => c.FulfillmentId == b.FulfillmentId)))
                LogDriftGone(drift.OrderId, drift.FulfillmentId);
            _last = new DriftSweep(_clock.GetUtcNow(), found.OrdersChecked, confirmed);
            _sweeps.Add(1, new KeyValuePair<string, object?>("outcome", "completed"));
        }
        catch (OperationException exception)
        {
            _lastFailure = new SweepFailure(_clock.GetUtcNow(), exception.Message);
            _sweeps.Add(1, new KeyValuePair<string, object?>("outcome", "failed"));
            LogSweepFailed(exception.Message);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Compares the order again and, when the order service is still behind on the fulfillment, has it announced again.</summary>
    public async Task<RepairAttempt> RepairAsync(string orderId, Guid fulfillmentId, CancellationToken ct)
    {
        var attempt = await _reconciler.RepairAsync(orderId, fulfillmentId, ct).ConfigureAwait(false);
        if (attempt is { Announced: true, Drift: { } drift })
            LogRepairRequested(orderId, fulfillmentId, drift.FulfillmentStatus, drift.FulfillmentSequence);
        return attempt;
    }

    /// <summary>The drifts that a second look at their orders, <see cref="Settle"/> later, finds unchanged.</summary>
    async Task<IReadOnlyList<Drift>> ConfirmAsync(IReadOnlyList<Drift> candidates, CancellationToken ct)
    {
        await Task.Delay(Settle, _clock, ct).ConfigureAwait(false);
        var confirmed = new List<Drift>();
        foreach (var orderId in candidates.Select(d => d.OrderId).Distinct(StringComparer.Ordinal))
            confirmed.AddRange((await _reconciler.CompareAsync(orderId, ct).ConfigureAwait(false)).Intersect(candidates));
        return confirmed;
    }

    IEnumerable<Measurement<int>> DriftMeasurements()
    {
        if (_last is not { } last)
            yield break;
        foreach (var repairable in new[] { true, false })
            yield return new Measurement<int>(last.Drifts.Count(d => d.Repairable == repairable),
                new KeyValuePair<string, object?>("repairable", repairable ? "true" : "false"));
    }

    IEnumerable<Measurement<double>> LastSweepMeasurements()
    {
        if (_last is { } last)
            yield return new Measurement<double>(last.FinishedAt.ToUnixTimeMilliseconds() / 1000.0);
    }

    public override void Dispose()
    {
        _oneAtATime.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 9301, Level = LogLevel.Warning,
        Message = "Drift: order {OrderId} fulfillment {FulfillmentId}: order service has {OrderServiceStatus} (sequence {OrderServiceSequence}), " +
                  "fulfillment service has {FulfillmentStatus} (sequence {FulfillmentSequence}); {Remedy}")]
    partial void LogDriftFound(string orderId, Guid fulfillmentId, string orderServiceStatus, int orderServiceSequence, string fulfillmentStatus,
        int fulfillmentSequence, string remedy);

    [LoggerMessage(EventId = 9302, Level = LogLevel.Information, Message = "Drift gone: order {OrderId} fulfillment {FulfillmentId}: the services agree again")]
    partial void LogDriftGone(string orderId, Guid fulfillmentId);

    [LoggerMessage(EventId = 9303, Level = LogLevel.Warning, Message = "Reconciliation sweep failed, drift unknown until one completes: {Reason}")]
    partial void LogSweepFailed(string reason);

    [LoggerMessage(EventId = 9304, Level = LogLevel.Information,
        Message = "Repair: asked the fulfillment service to announce order {OrderId} fulfillment {FulfillmentId} again ({FulfillmentStatus}, sequence {FulfillmentSequence})")]
    partial void LogRepairRequested(string orderId, Guid fulfillmentId, string fulfillmentStatus, int fulfillmentSequence);
}
