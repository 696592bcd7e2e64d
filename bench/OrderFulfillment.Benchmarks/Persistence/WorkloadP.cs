using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrderFulfillment.Benchmarks.Flow;
using OrderFulfillment.Persistence;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace OrderFulfillment.Benchmarks.Persistence;

public enum PVariant
{
    /// <summary>The project's saga repository with the transactional outbox and inbox (one transaction per message).</summary>
    OutboxInbox,

    /// <summary>The project's saga repository alone: its own transaction per message, events published in-line.</summary>
    RepositoryOnly,

    /// <summary>MassTransit's in-memory saga repository: no database at all.</summary>
    InMemory,
}

/// <summary>
/// Workload P: one receive endpoint, the step saga stored by the project's repository (or in memory), S x K step
/// messages pre-published, each step publishing one event to a plain observer queue.
/// </summary>
public static class WorkloadP
{
    public const string Section = "2 workload P";
    const string Queue = "bench-steps";
    const string SteppedExchange = "OrderFulfillment.Benchmarks.Persistence:Stepped";
    const string StepUrn = "urn:message:OrderFulfillment.Benchmarks.Persistence:Step";

    public static async Task RunAsync(BenchOptions options, Report report, double? pgCeiling)
    {
        var messages = options.Sagas * options.Steps;
        var note = $"S={options.Sagas} x K={options.Steps}, prefetch {options.Prefetch}, concurrency {options.Concurrency}, order by {options.POrder}";
        ThroughputResult? outbox = null, repository = null, memory = null;
        if (options.PVariants.Contains("outbox"))
        {
            outbox = await ThroughputAsync(PVariant.OutboxInbox, options, options.Prefetch, options.Concurrency);
            var target = pgCeiling is { } c ? $">= {c / 2:N0} (half of PG 8-conn)" : ">= half of PG 8-conn ceiling";
            report.Add(Section, "outbox + inbox + saga repository", outbox.Rate, "msg/s", target, pgCeiling is { } ceiling ? outbox.Rate >= ceiling / 2 : null,
                note + outbox.Note);
            if (pgCeiling is { } pg)
                report.Add(Section, "  ratio to PostgreSQL 8-connection ceiling", outbox.Rate / pg, "ratio", ">= 0.50", outbox.Rate / pg >= 0.5);
            report.Add(Section, "  process CPU per message (outbox + inbox)", outbox.CpuMsPerMessage, "ms", note: "benchmark process (bus, EF, Npgsql)");
            AddMachineCpu(report, "outbox + inbox", outbox);
        }

        if (options.PVariants.Contains("repository"))
        {
            repository = await ThroughputAsync(PVariant.RepositoryOnly, options, options.Prefetch, options.Concurrency);
            report.Add(Section, "saga repository only (outbox off)", repository.Rate, "msg/s", note: "events published in-line with confirms" + repository.Note);
            if (pgCeiling is { } pg)
                report.Add(Section, "  ratio to PostgreSQL 8-connection ceiling", repository.Rate / pg, "ratio");
            report.Add(Section, "  process CPU per message (repository only)", repository.CpuMsPerMessage, "ms");
            AddMachineCpu(report, "repository only", repository);
        }

        if (options.PVariants.Contains("memory"))
        {
            memory = await ThroughputAsync(PVariant.InMemory, options, options.Prefetch, options.Concurrency);
            report.Add(Section, "MassTransit in-memory saga repository", memory.Rate, "msg/s", note: "no database" + memory.Note);
            report.Add(Section, "  process CPU per message (in-memory)", memory.CpuMsPerMessage, "ms");
            AddMachineCpu(report, "in-memory", memory);
            // No persistence layer under the same pipeline can go faster than no database at all: where this ratio is
            // below the target's 0.50, the target is out of reach on this machine.
            if (pgCeiling is { } pg)
                report.Add(Section, "  ratio to PostgreSQL 8-connection ceiling", memory.Rate / pg, "ratio",
                    note: "upper bound for any saga repository under this pipeline on this machine");
        }

        if (outbox is not null && memory is not null)
            report.Add(Section, "  outbox + inbox against in-memory", outbox.Rate / memory.Rate, "ratio", ">= 0.50", outbox.Rate / memory.Rate >= 0.5,
                "msg/s of the two variants in this run (issue 23)");
        if (outbox is not null && repository is not null)
            report.Add(Section, "  cost of outbox + inbox per message", 1000 / outbox.Rate - 1000 / repository.Rate, "ms", note: "1/rate(outbox) - 1/rate(repository)");
        if (repository is not null && memory is not null)
            report.Add(Section, "  cost of the saga repository per message", 1000 / repository.Rate - 1000 / memory.Rate, "ms", note: "1/rate(repository) - 1/rate(in-memory)");
        report.Detail("workloadP", new { messages, outbox, repository, memory });
    }

    static void AddMachineCpu(Report report, string variant, ThroughputResult result) =>
        report.Add(Section, $"  machine CPU per message ({variant})", result.MachineMsPerMessage, "ms",
            note: $"machine {result.MachineBusyPercent:0} % busy; PostgreSQL {result.PostgresMsPerMessage:0.00} ms, RabbitMQ {result.RabbitMqMsPerMessage:0.00} ms");

    /// <summary>Workload P (outbox + inbox) over prefetch/concurrency pairs, to find a better default.</summary>
    public static async Task SweepAsync(BenchOptions options, Report report)
    {
        var results = new List<object>();
        foreach (var (prefetch, concurrency) in new[] { (16, 8), (32, 16), (64, 32), (128, 64), (32, 32), (64, 16) })
        {
            var result = await ThroughputAsync(PVariant.OutboxInbox, options, prefetch, concurrency);
            report.Add("2b P sweep", $"outbox + inbox, prefetch {prefetch}, concurrency {concurrency}", result.Rate, "msg/s", note: result.Note.TrimStart(';', ' '));
            results.Add(new { prefetch, concurrency, result });
        }

        report.Detail("workloadPSweep", results);
    }

    /// <summary>
    /// One run of workload P. The machine figures cover every process of the machine (PostgreSQL's and RabbitMQ's whole
    /// process groups, so on a shared machine others' work too): read them from a quiet machine.
    /// </summary>
    public sealed record ThroughputResult(double Rate, double Seconds, double FirstEventSeconds, double CpuMsPerMessage, double AllocatedKbPerMessage,
        long Sagas, long StepsApplied,
        long Duplicates, string Note, double MachineBusyPercent, double MachineMsPerMessage, double PostgresMsPerMessage, double RabbitMqMsPerMessage);

    public static async Task<ThroughputResult> ThroughputAsync(PVariant variant, BenchOptions options, int prefetch, int concurrency)
    {
        // Warm-up: the same variant on a throwaway vhost and database, so that JIT and first-use costs are paid before
        // the measured run (whose clock still starts at the bus start).
        await MeasureAsync(variant, options, prefetch, concurrency, 50, 2);
        return await MeasureAsync(variant, options, prefetch, concurrency, options.Sagas, options.Steps);
    }

    static async Task<ThroughputResult> MeasureAsync(PVariant variant, BenchOptions options, int prefetch, int concurrency, int sagaCount, int stepCount)
    {
        var total = sagaCount * stepCount;
        await using var scope = await RunScope.CreateAsync("p-" + variant.ToString().ToLowerInvariant()[..6], options.Keep);
        var connectionString = variant == PVariant.InMemory ? null : await scope.CreateDatabaseAsync("p");
        await using var bus = await StepBus.CreateAsync(variant, scope.VirtualHost, connectionString, prefetch, concurrency, null);
        await using var amqp = await Infra.ConnectAsync(scope.VirtualHost, "bench-p-driver");
        await using var observer = await Observer.StartAsync(amqp);
        await using var publisher = await StepPublisher.CreateAsync(amqp);

        var sagaIds = Enumerable.Range(0, sagaCount).Select(_ => Guid.NewGuid()).ToArray();
        IEnumerable<(Guid Saga, int Number)> order = options.POrder == "saga"
            ? sagaIds.SelectMany(s => Enumerable.Range(1, stepCount).Select(k => (s, k)))
            : Enumerable.Range(1, stepCount).SelectMany(k => sagaIds.Select(s => (s, k)));
        await publisher.PublishAllAsync(order.Select(x => new Step { SagaId = x.Saga, Number = x.Number, StepId = Guid.NewGuid() }));
        Console.Error.WriteLine($"[bench] P {variant}: {total:N0} steps pre-published; starting the bus");

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var gcBefore = GC.CollectionCount(0);
        // The whole machine's CPU over the run, by process (this process, PostgreSQL, RabbitMQ), sampled every 200 ms.
        var machine = new MachineCpu([]);
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                machine.Sample();
                await Task.Delay(200, CancellationToken.None);
            }
        });
        var startTimestamp = Stopwatch.GetTimestamp();
        var stopwatch = Stopwatch.StartNew();
        await bus.StartAsync();
        await observer.WaitForAsync(total, TimeSpan.FromSeconds(Math.Max(120, total / 10.0)), stopwatch);
        var seconds = stopwatch.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        await sampling.CancelAsync();
        await sampler;
        var breakdown = machine.Breakdown(total, total);
        double MsPerMessage(string group) => breakdown.Processes.First(p => p.Name == group).MsPerOrder;
        var allocatedKb = (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1024.0 / total;
        var gen0 = GC.CollectionCount(0) - gcBefore;
        var firstEvent = (observer.FirstTimestamp - startTimestamp) / (double)Stopwatch.Frequency;
        await bus.StopAsync();

        long sagas = sagaCount, applied = total;
        if (connectionString is not null)
        {
            sagas = await Infra.ScalarAsync(connectionString, "SELECT count(*) FROM step_saga");
            applied = await Infra.ScalarAsync(connectionString, "SELECT coalesce(sum(\"Count\"), 0) FROM step_saga");
        }

        var duplicates = observer.Received - observer.Distinct;
        var note = $"; {total:N0} msgs in {seconds:0.0} s (first event at {firstEvent:0.00} s)";
        if (sagas != sagaCount || applied != total)
            note += $"; CHECK: {sagas} sagas, {applied} steps applied";
        if (duplicates > 0)
            note += $"; {duplicates} duplicate events";
        note += $"; {allocatedKb:0} KB allocated/msg, {gen0} gen0 GCs";
        note += $"; machine {breakdown.UserPercent + breakdown.SystemPercent:0} % busy, CPU ms/msg: machine {breakdown.MachineMsPerMessage:0.00}, " +
                $"PostgreSQL {MsPerMessage(MachineCpu.PostgreSql):0.00}, RabbitMQ {MsPerMessage(MachineCpu.RabbitMq):0.00}, this process {MsPerMessage(MachineCpu.Driver):0.00}";
        return new ThroughputResult(total / seconds, seconds, firstEvent, cpu / total, allocatedKb, sagas, applied, duplicates, note,
            breakdown.UserPercent + breakdown.SystemPercent, breakdown.MachineMsPerMessage ?? 0, MsPerMessage(MachineCpu.PostgreSql), MsPerMessage(MachineCpu.RabbitMq));
    }

    /// <summary>Outbox delivery latency: commit → event on the observer queue, with steps published at a fixed rate.</summary>
    public static async Task LatencyAsync(BenchOptions options, Report report)
    {
        const string section = "3 outbox latency";
        await using var scope = await RunScope.CreateAsync("p-latency", options.Keep);
        var connectionString = await scope.CreateDatabaseAsync("p");
        var clock = new CommitClock();
        await using var bus = await StepBus.CreateAsync(PVariant.OutboxInbox, scope.VirtualHost, connectionString, options.Prefetch, options.Concurrency, clock);
        await using var amqp = await Infra.ConnectAsync(scope.VirtualHost, "bench-latency-driver");
        await using var observer = await Observer.StartAsync(amqp);
        await using var publisher = await StepPublisher.CreateAsync(amqp);
        await bus.StartAsync();

        var sagas = Enumerable.Range(0, 200).Select(_ => Guid.NewGuid()).ToArray();
        var number = new int[sagas.Length];
        Step Next(int i)
        {
            var s = i % sagas.Length;
            return new Step { SagaId = sagas[s], Number = ++number[s], StepId = Guid.NewGuid() };
        }

        // Warm-up (JIT, pools, connections): not measured.
        var warmup = Math.Max(400, options.Rate * 2);
        await publisher.PublishAllAsync(Enumerable.Range(0, warmup).Select(Next));
        await observer.WaitForAsync(warmup, TimeSpan.FromMinutes(2), Stopwatch.StartNew());

        var count = (int)(options.Rate * options.LatencySeconds);
        var published = new ConcurrentDictionary<Guid, long>();
        var steps = Enumerable.Range(warmup, count).Select(Next).ToArray();
        Console.Error.WriteLine($"[bench] outbox latency: {count:N0} steps at {options.Rate} msg/s");
        var start = Stopwatch.GetTimestamp();
        var inflight = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            var due = start + (long)(i * (double)Stopwatch.Frequency / options.Rate);
            var wait = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            if (wait > 1)
                await Task.Delay(TimeSpan.FromMilliseconds(wait));
            published[steps[i].StepId] = Stopwatch.GetTimestamp();
            inflight.Add(publisher.PublishAsync(steps[i]));
        }

        await Task.WhenAll(inflight);
        var achieved = count / Stopwatch.GetElapsedTime(start).TotalSeconds;
        await observer.WaitForAsync(warmup + count, TimeSpan.FromMinutes(2), Stopwatch.StartNew());
        await bus.StopAsync();

        var commitToEvent = new List<double>(count);
        var publishToEvent = new List<double>(count);
        foreach (var step in steps)
        {
            if (!observer.ReceivedAt.TryGetValue(step.StepId, out var received))
                continue;
            if (clock.Commits.TryGetValue(step.StepId, out var committed))
                commitToEvent.Add((received - committed) * 1000.0 / Stopwatch.Frequency);
            publishToEvent.Add((received - published[step.StepId]) * 1000.0 / Stopwatch.Frequency);
        }

        var c = Percentiles.Of(commitToEvent);
        var p = Percentiles.Of(publishToEvent);
        var note = $"{c.Count:N0} events at {achieved:0} msg/s offered; max {c.Max:0.0} ms";
        report.Add(section, $"commit → event p50 at {options.Rate} msg/s", c.P50, "ms", note: note);
        report.Add(section, $"commit → event p95 at {options.Rate} msg/s", c.P95, "ms");
        report.Add(section, $"commit → event p99 at {options.Rate} msg/s", c.P99, "ms", "< 50 ms", c.P99 < 50);
        report.Add(section, $"step publish → event p50 / p99 (end to end)", p.P50, "ms", note: $"p99 {p.P99:0.0} ms, max {p.Max:0.0} ms");
        report.Detail("outboxLatency", new { rate = options.Rate, achieved, commitToEvent = c, publishToEvent = p });
    }

    /// <summary>The step saga on a real RabbitMQ bus (fresh vhost), stored as <see cref="PVariant"/> says.</summary>
    sealed class StepBus : IAsyncDisposable
    {
        readonly ServiceProvider _provider;
        readonly List<IHostedService> _hosted;
        bool _started;

        StepBus(ServiceProvider provider)
        {
            _provider = provider;
            _hosted = [.. provider.GetServices<IHostedService>()];
        }

        public static async Task<StepBus> CreateAsync(PVariant variant, string vhost, string? connectionString, int prefetch, int concurrency, CommitClock? clock)
        {
            var services = new ServiceCollection();
            services.AddLogging(b => b.AddProvider(new StderrLoggerProvider(LogLevel.Warning)));
            services.AddOptions<MassTransitHostOptions>().Configure(o => o.WaitUntilStarted = true);
            if (connectionString is not null)
            {
                // As the services register theirs: a pooled DbContext and the library's connection defaults.
                var tuned = NpgsqlTuning.WithMessageProcessingDefaults(connectionString);
                services.AddDbContextPool<BenchDbContext>(o => o.UseNpgsql(tuned));
            }
            services.AddMassTransit(x =>
            {
                var saga = x.AddSagaStateMachine<StepStateMachine, StepState>();
                if (variant == PVariant.InMemory)
                    saga.InMemoryRepository();
                else
                    saga.PostgresRepository<StepState, BenchDbContext>();
                if (variant == PVariant.OutboxInbox)
                {
                    x.AddTransactionalOutbox<BenchDbContext>(o => o.CleanupInterval = TimeSpan.FromHours(1));
                    if (clock is not null)
                        x.AddSingleton<IOutboxCommitObserver>(clock);
                }

                x.UsingRabbitMq((context, cfg) =>
                {
                    cfg.Host(Infra.RabbitHost, (ushort)Infra.RabbitPort, vhost, h =>
                    {
                        h.Username(Infra.RabbitUser);
                        h.Password(Infra.RabbitPassword);
                        h.PublisherConfirmation = true;
                    });
                    cfg.ReceiveEndpoint(Queue, e =>
                    {
                        e.PrefetchCount = prefetch;
                        e.ConcurrentMessageLimit = concurrency;
                        if (clock is not null)
                            e.UseFilter(new CommitClock.Filter());
                        e.UseMessageRetry(r => r.Exponential(20, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(50)));
                        if (variant == PVariant.OutboxInbox)
                            e.UseTransactionalOutbox<BenchDbContext>(context);
                        e.ConfigureSaga<StepState>(context);
                    });
                });
            });
            var provider = services.BuildServiceProvider(true);
            if (connectionString is not null)
            {
                await using var scope = provider.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<BenchDbContext>();
                await db.Database.EnsureCreatedAsync();
                await db.Sagas.CountAsync(); // builds the model and warms the pool before the clock starts
            }

            return new StepBus(provider);
        }

        public async Task StartAsync()
        {
            foreach (var hosted in _hosted)
                await hosted.StartAsync(CancellationToken.None);
            _started = true;
        }

        public async Task StopAsync()
        {
            if (!_started)
                return;
            _started = false;
            foreach (var hosted in Enumerable.Reverse(_hosted))
                await hosted.StopAsync(CancellationToken.None);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            await _provider.DisposeAsync();
        }
    }

    /// <summary>Publishes steps as MassTransit envelopes straight to the endpoint's queue, persistent, with confirms.</summary>
    sealed class StepPublisher : IAsyncDisposable
    {
        readonly IChannel _channel;
        readonly SemaphoreSlim _window = new(256);

        StepPublisher(IChannel channel) => _channel = channel;

        public static async Task<StepPublisher> CreateAsync(IConnection connection)
        {
            var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
            // The endpoint's queue, declared as MassTransit declares it, so that steps can wait in it before the bus starts.
            await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
            return new StepPublisher(channel);
        }

        public async Task PublishAllAsync(IEnumerable<Step> steps)
        {
            var pending = new List<Task>();
            foreach (var step in steps)
                pending.Add(PublishAsync(step));
            await Task.WhenAll(pending);
        }

        public async Task PublishAsync(Step step)
        {
            await _window.WaitAsync();
            try
            {
                var envelope = new
                {
                    messageId = step.StepId,
                    conversationId = step.StepId,
                    messageType = new[] { StepUrn },
                    message = step,
                    sentTime = DateTime.UtcNow,
                    headers = new { },
                };
                var properties = new BasicProperties
                {
                    ContentType = "application/vnd.masstransit+json",
                    DeliveryMode = DeliveryModes.Persistent,
                    MessageId = step.StepId.ToString(),
                };
                await _channel.BasicPublishAsync("", Queue, true, properties, JsonSerializer.SerializeToUtf8Bytes(envelope, JsonSerializerOptions.Web));
            }
            finally
            {
                _window.Release();
            }
        }

        public async ValueTask DisposeAsync() => await _channel.DisposeAsync();
    }

    /// <summary>A plain queue bound to the Stepped exchange: counts events and notes when each step's event arrived.</summary>
    sealed class Observer : IAsyncDisposable
    {
        readonly IChannel _channel;
        readonly SemaphoreSlim _changed = new(0);
        long _received;

        Observer(IChannel channel) => _channel = channel;

        public ConcurrentDictionary<Guid, long> ReceivedAt { get; } = new();
        public long Received => Interlocked.Read(ref _received);
        public long Distinct => ReceivedAt.Count;
        public long FirstTimestamp { get; private set; }

        public static async Task<Observer> StartAsync(IConnection connection)
        {
            var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeclareAsync(SteppedExchange, ExchangeType.Fanout, durable: true);
            await channel.QueueDeclareAsync("observer", durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync("observer", SteppedExchange, "");
            await channel.BasicQosAsync(0, 500, false);
            var observer = new Observer(channel);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                var now = Stopwatch.GetTimestamp();
                if (observer.FirstTimestamp == 0)
                    observer.FirstTimestamp = now;
                using (var document = JsonDocument.Parse(delivery.Body))
                {
                    var stepId = document.RootElement.GetProperty("message").GetProperty("stepId").GetGuid();
                    observer.ReceivedAt.TryAdd(stepId, now);
                }

                Interlocked.Increment(ref observer._received);
                await channel.BasicAckAsync(delivery.DeliveryTag, false);
                observer._changed.Release();
            };
            await channel.BasicConsumeAsync("observer", false, consumer);
            return observer;
        }

        public async Task WaitForAsync(long distinct, TimeSpan timeout, Stopwatch since)
        {
            while (Distinct < distinct)
            {
                if (since.Elapsed > timeout)
                    throw new TimeoutException($"observer has {Distinct:N0} of {distinct:N0} events after {since.Elapsed.TotalSeconds:0} s");
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(100));
            }
        }

        public async ValueTask DisposeAsync() => await _channel.DisposeAsync();
    }

    /// <summary>
    /// Notes when each step's transaction committed: a filter in front of the outbox puts a holder in the async flow,
    /// and the outbox's commit observer (called in the same flow) stamps it.
    /// </summary>
    sealed class CommitClock : IOutboxCommitObserver
    {
        static readonly AsyncLocal<Holder?> Current = new();

        public ConcurrentDictionary<Guid, long> Commits { get; } = new();

        public void OnCommitted()
        {
            if (Current.Value is { } holder)
                Commits[holder.StepId] = Stopwatch.GetTimestamp();
        }

        sealed class Holder(Guid stepId)
        {
            public Guid StepId { get; } = stepId;
        }

        public sealed class Filter : IFilter<ConsumeContext>
        {
            public Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
            {
                if (context.TryGetMessage<Step>(out var step))
                    Current.Value = new Holder(step.Message.StepId);
                return next.Send(context);
            }

            public void Probe(ProbeContext context) => context.CreateFilterScope("commitClock");
        }
    }
}
