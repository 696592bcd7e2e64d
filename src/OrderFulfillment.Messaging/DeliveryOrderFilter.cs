using System.Collections.Concurrent;
using MassTransit;

namespace OrderFulfillment.Messaging;

/// <summary>
/// Admits a consumer's deliveries into the endpoint's pipeline in the order the broker delivered them.
/// </summary>
/// <remarks>
/// RabbitMQ delivers a queue's messages to a consumer in queue order, numbered 1, 2, 3… on its channel (the delivery
/// tag). The client then hands them to as many workers as the endpoint's concurrency limit, and two workers race: the
/// later message can reach the endpoint's per-saga partition first and be applied first, so a fulfillment's
/// "packed" could overtake its "packing_started", which then is stale. Each delivery waits here until every delivery
/// before it has entered the pipeline; up to the partition the pipeline runs without yielding, so each message takes
/// its place in its partition's queue in delivery order, and messages of different sagas still run side by side. A
/// delivery whose predecessor does not show up within <see cref="MaxWait"/> (it cannot, unless the channel was
/// reused) goes on without it: order is kept in every case but that, and nothing can wait forever.
/// </remarks>
public sealed class DeliveryOrderFilter : IFilter<ReceiveContext>
{
    static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    readonly ConcurrentDictionary<string, DeliverySequence> _consumers = new(StringComparer.Ordinal);

    public async Task Send(ReceiveContext context, IPipe<ReceiveContext> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (!context.TryGetPayload(out RabbitMqBasicConsumeContext? delivery))
        {
            await next.Send(context).ConfigureAwait(false);
            return;
        }

        var sequence = _consumers.GetOrAdd(delivery.ConsumerTag, _ => new DeliverySequence());
        await sequence.WaitForTurnAsync(delivery.DeliveryTag, MaxWait, context.CancellationToken).ConfigureAwait(false);
        Task pipeline;
        try
        {
            pipeline = next.Send(context);
        }
        finally
        {
            sequence.Admit(delivery.DeliveryTag);
        }

        await pipeline.ConfigureAwait(false);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("deliveryOrder");

    /// <summary>The delivery tags of one consumer admitted so far.</summary>
    sealed class DeliverySequence
    {
        readonly Lock _lock = new();
        readonly SortedSet<ulong> _admittedAhead = [];
        readonly Dictionary<ulong, TaskCompletionSource> _waiting = [];

        /// <summary>Every tag up to this one has been admitted.</summary>
        ulong _admittedThrough;

        public async Task WaitForTurnAsync(ulong tag, TimeSpan maxWait, CancellationToken cancellationToken)
        {
            TaskCompletionSource turn;
            lock (_lock)
            {
                if (tag <= _admittedThrough + 1)
                    return;
                turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[tag] = turn;
            }

            try
            {
                await turn.Task.WaitAsync(maxWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                lock (_lock)
                {
                    // The tags before this one never came: stop waiting for them.
                    _waiting.Remove(tag);
                    _admittedThrough = Math.Max(_admittedThrough, tag - 1);
                    Advance();
                }
            }
        }

        public void Admit(ulong tag)
        {
            lock (_lock)
            {
                if (tag > _admittedThrough)
                    _admittedAhead.Add(tag);
                Advance();
            }
        }

        void Advance()
        {
            while (_admittedAhead.Count > 0 && _admittedAhead.Min <= _admittedThrough + 1)
            {
                _admittedThrough = Math.Max(_admittedThrough, _admittedAhead.Min);
                _admittedAhead.Remove(_admittedAhead.Min);
            }

            if (_waiting.Remove(_admittedThrough + 1, out var next))
                next.TrySetResult();
        }
    }
}
