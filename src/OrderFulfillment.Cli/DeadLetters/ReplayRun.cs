using System.Text.Json;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.Views;

namespace OrderFulfillment.Cli.DeadLetters;

/// <summary>One <c>ofctl errors replay</c>: which queues, which messages, replay or dry run, and the exit code.</summary>
public sealed class ReplayRun(CliContext context, ConnectionSettings settings, bool dryRun)
{
    public async Task<int> RunAsync(string? queue, IReadOnlyCollection<string> messageIds, bool all, string? orderId, CancellationToken ct)
    {
        using var services = new ServiceApi(settings);
        var select = orderId is null
            ? all ? _ => true : SelectByMessageId(messageIds)
            : await SelectByOrderAsync(services, orderId, ct);

        await using var broker = await Broker.ConnectAsync(settings, ct);
        List<string> queues = queue is not null ? [queue] : await AllErrorQueuesAsync(ct);
        var replayer = new DeadLetterReplayer(broker);
        var forecaster = dryRun ? new ReplayForecaster(services) : null;
        var results = new List<ReplayResult>();
        foreach (var errorQueue in queues)
            results.AddRange(await replayer.ReplayAsync(errorQueue, select, forecaster, ct));

        DeadLetterView.RenderReplay(context.Console, results, dryRun);

        var missing = messageIds.Where(id => !results.Any(r => r.Letter.MessageId == id)).ToList();
        if (missing.Count > 0)
        {
            await context.Error.WriteLineAsync($"ofctl: no message with id {string.Join(", ", missing)} in {string.Join(", ", queues)}");
            return ExitCodes.Failed;
        }

        if (orderId is not null && results.Count == 0)
        {
            await context.Error.WriteLineAsync($"ofctl: no dead-lettered message of order {orderId} in {(queues.Count == 0 ? "any error queue" : string.Join(", ", queues))}");
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    static Func<DeadLetter, bool> SelectByMessageId(IReadOnlyCollection<string> messageIds)
    {
        var wanted = new HashSet<string>(messageIds, StringComparer.Ordinal);
        return letter => letter.MessageId is { } id && wanted.Contains(id);
    }

    /// <summary>A message of the order names it, or (warehouse steps) one of its fulfillments, as either service knows them.</summary>
    static async Task<Func<DeadLetter, bool>> SelectByOrderAsync(ServiceApi services, string orderId, CancellationToken ct)
    {
        var fulfillmentIds = new HashSet<Guid>();
        if (await services.GetOrderFulfillmentsAsync(orderId, ct) is { ValueKind: JsonValueKind.Array } fulfillments)
            fulfillmentIds.UnionWith(fulfillments.EnumerateArray().Select(f => f.Text("fulfillmentId")).OfType<string>().Select(Guid.Parse));
        if (await services.GetOrderAsync(orderId, ct) is { } order)
            fulfillmentIds.UnionWith(order.Items("fulfillments").Select(f => f.Text("fulfillmentId")).OfType<string>().Select(Guid.Parse));
        return letter => letter.OrderId == orderId || (letter.FulfillmentId is { } id && fulfillmentIds.Contains(id));
    }

    /// <summary>Every error queue of the vhost; the replay reads each one's exact message count over AMQP.</summary>
    async Task<List<string>> AllErrorQueuesAsync(CancellationToken ct)
    {
        using var management = new ManagementApi(settings);
        return [.. (await management.ListQueuesAsync(ct)).Where(ErrorQueues.IsErrorQueue).Order(StringComparer.Ordinal)];
    }
}
