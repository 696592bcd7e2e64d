using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace OrderFulfillment.Hosting;

/// <summary>
/// The thread pool's threads and queue as gauges. .NET's System.Runtime meter publishes both on observable counters,
/// which Prometheus would read as counters (<c>dotnet_thread_pool_queue_length_total</c>, one that goes down); those two
/// are left out of the export (<see cref="LeaveOutMiscounted"/>) and observed here, under the same names. Made and
/// disposed by the meter provider (<c>AddInstrumentation</c>).
/// </summary>
public sealed class ThreadPoolGauges : IDisposable
{
    public const string MeterName = "OrderFulfillment.ThreadPool";
    const string ThreadCount = "dotnet.thread_pool.thread.count";
    const string QueueLength = "dotnet.thread_pool.queue.length";

    readonly Meter _meter = new(MeterName);

    public ThreadPoolGauges()
    {
        _meter.CreateObservableUpDownCounter(ThreadCount, () => (long)ThreadPool.ThreadCount, "{thread}", "The number of thread pool threads that currently exist");
        _meter.CreateObservableUpDownCounter(QueueLength, () => ThreadPool.PendingWorkItemCount, "{work_item}",
            "The number of work items that are currently queued to be processed by the thread pool");
    }

    /// <summary>A view: drops System.Runtime's two counters that are gauges.</summary>
    public static MetricStreamConfiguration? LeaveOutMiscounted(Instrument instrument) =>
        instrument.Meter.Name == "System.Runtime" && instrument.Name is ThreadCount or QueueLength ? MetricStreamConfiguration.Drop : null;

    public void Dispose() => _meter.Dispose();
}
