using System.CommandLine;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.DeadLetters;
using OrderFulfillment.Cli.Views;

namespace OrderFulfillment.Cli.Commands;

/// <summary><c>ofctl errors list|replay</c>: the error queues, why their messages failed, and putting them back.</summary>
public static class ErrorsCommands
{
    public static Command Create(CliContext context)
    {
        var errors = new Command("errors", "Inspect dead-lettered messages (the <queue>_error queues) and replay them once the cause is fixed");
        errors.Subcommands.Add(List(context));
        errors.Subcommands.Add(Replay(context));
        return errors;
    }

    static Option<string> Queue(string description)
    {
        var queue = new Option<string>("--queue") { Description = description, HelpName = "queue_error" };
        queue.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } name && !ErrorQueues.IsErrorQueue(name))
                result.AddError($"--queue '{name}' is not an error queue: give its <queue>_error name, e.g. {name}_error");
        });
        return queue;
    }

    static Command List(CliContext context)
    {
        var queue = Queue("Only this error queue (default: every error queue of the vhost)");
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Also list each message: its id, original exchange, order and fulfillment, replay count and reason",
        };
        var limit = new Option<int>("--limit") { Description = "Inspect at most this many messages per queue", DefaultValueFactory = _ => 1000, HelpName = "n" };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--limit must be 1 or more"); });
        var command = new Command("list", """
            List the error queues with their message counts, and group their messages by reason (the exception type and
            message MassTransit recorded in the MT-Fault-* headers). Messages are inspected through the management API and
            put back at once: nothing is removed.
            """) { queue, verbose, limit };
        context.SetAction(command, async (parse, settings, ct) =>
        {
            using var management = new ManagementApi(settings);
            var names = parse.GetValue(queue) is { } only
                ? [only]
                : (await management.ListQueuesAsync(ct)).Where(ErrorQueues.IsErrorQueue).Order(StringComparer.Ordinal).ToList();
            await using var broker = await Broker.ConnectAsync(settings, ct);
            var queues = new List<QueueInfo>();
            foreach (var name in names)
            {
                // An error queue is created with its first dead letter: one that does not exist yet holds none.
                if (await broker.QueueMessageCountAsync(name, ct) is { } count)
                    queues.Add(new QueueInfo(name, count));
                else if (parse.GetValue(queue) is not null)
                    queues.Add(new QueueInfo(name, 0));
            }

            DeadLetterView.RenderQueues(context.Console, settings.VirtualHost, queues);
            foreach (var errorQueue in queues.Where(q => q.Messages > 0))
            {
                var messages = await management.PeekAsync(errorQueue.Name, parse.GetValue(limit), ct);
                var letters = messages.Select(m => DeadLetter.FromManagement(errorQueue.Name, m)).ToList();
                DeadLetterView.RenderReasons(context.Console, errorQueue, letters, parse.GetValue(verbose));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    static Command Replay(CliContext context)
    {
        var queue = Queue("The error queue to replay from, e.g. fulfillment_error; its messages go back to the queue without _error");
        var messageIds = new Option<string[]>("--message-id") { Description = "Replay the message with this id (repeatable)", HelpName = "id" };
        var all = new Option<bool>("--all") { Description = "Replay every message of --queue" };
        var orderId = CommonOptions.OrderId(required: false,
            "Replay every dead-lettered message of this order, across all error queues (or only --queue): messages naming the order, " +
            "or one of its fulfillments");
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Move nothing: print what each message would do if replayed now (duplicate, stale, applied, or would fail), from the services' current state",
        };
        var command = new Command("replay", """
            Put dead-lettered messages back on their queue, once what made them fail is fixed. Each message is copied to its
            queue (publisher-confirmed, headers kept but for MassTransit's MT-Fault-* and MT-Reason, OF-Replay-Count raised by
            one) and only then removed from the error queue, so an interruption loses nothing. Messages not selected stay.
            Examples: ofctl errors replay --queue fulfillment_error --all --dry-run
                      ofctl errors replay --queue order-status_error --message-id 3f2a…
                      ofctl errors replay --order-id ORD-1001
            """) { queue, messageIds, all, orderId, dryRun };
        command.Validators.Add(result =>
        {
            var hasQueue = result.GetValue(queue) is not null;
            var hasIds = result.GetValue(messageIds) is { Length: > 0 };
            var hasAll = result.GetValue(all);
            var hasOrder = result.GetValue(orderId) is not null;
            if (!hasQueue && !hasOrder)
                result.AddError("say what to replay: --queue Q with --message-id ID or --all, or --order-id ORD");
            else if (hasOrder && (hasIds || hasAll))
                result.AddError("--order-id selects the messages itself: leave out --message-id and --all");
            else if (!hasOrder && hasIds == hasAll)
                result.AddError(hasAll ? "--all and --message-id exclude each other" : "with --queue, say which messages: --message-id ID or --all");
        });
        context.SetAction(command, (parse, settings, ct) => new ReplayRun(context, settings, parse.GetValue(dryRun)).RunAsync(
            parse.GetValue(queue), parse.GetValue(messageIds) ?? [], parse.GetValue(all), parse.GetValue(orderId), ct));
        return command;
    }
}
