using System.Globalization;
using OrderFulfillment.Cli.Connections;
using OrderFulfillment.Cli.DeadLetters;
using Spectre.Console;

namespace OrderFulfillment.Cli.Views;

/// <summary>Error queues, their reasons and their messages, and what a replay did, as tables.</summary>
public static class DeadLetterView
{
    public static void RenderQueues(IAnsiConsole console, string virtualHost, IReadOnlyList<QueueInfo> queues)
    {
        if (queues.Count == 0)
        {
            console.WriteLine($"No error queues in vhost '{virtualHost}'.");
            return;
        }

        var table = new Table().Title($"Error queues in vhost '{Markup.Escape(virtualHost)}'")
            .AddColumns("Error queue", "Replays to", "Messages");
        foreach (var q in queues)
            table.AddRow(Cell(q.Name), Cell(ErrorQueues.SourceOf(q.Name)), Number(q.Messages));
        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{queues.Sum(q => q.Messages)} dead-lettered message(s) in {queues.Count} error queue(s)"));
    }

    public static void RenderReasons(IAnsiConsole console, QueueInfo queue, IReadOnlyList<DeadLetter> letters, bool verbose)
    {
        var reasons = new Table().Title($"{Markup.Escape(queue.Name)}: reasons").AddColumns("Count", "Exception", "Message");
        foreach (var group in letters.GroupBy(l => (l.ExceptionType, l.FaultMessage)).OrderByDescending(g => g.Count()))
            reasons.AddRow(Number(group.Count()), Cell(group.First().ShortExceptionType), Cell(group.Key.FaultMessage ?? ""));
        console.Write(reasons);
        if (letters.Count < queue.Messages)
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(inspected the first {letters.Count} of {queue.Messages} messages; raise --limit for more)"));
        if (!verbose)
            return;

        var messages = new Table().Title($"{Markup.Escape(queue.Name)}: messages")
            .AddColumns("Message id", "Original exchange", "Order", "Fulfillment", "Replays", "Reason");
        foreach (var l in letters)
        {
            messages.AddRow(Cell(l.MessageId ?? "(none)"), Cell(l.MessageType ?? "?"), Cell(l.OrderId ?? ""), Cell(l.FulfillmentId?.ToString() ?? ""),
                Number(l.ReplayCount), Cell(l.Reason));
        }

        console.Write(messages);
    }

    public static void RenderReplay(IAnsiConsole console, IReadOnlyList<ReplayResult> results, bool dryRun)
    {
        if (results.Count == 0)
        {
            console.WriteLine(dryRun ? "Dry run: no message selected." : "Nothing replayed: no message selected.");
            return;
        }

        var table = new Table().Title(dryRun ? "Dry run: nothing was moved" : "Replayed")
            .AddColumns("Queue", "Message id", "Message", "Order", "Fulfillment", "Failed with", dryRun ? "Would now be" : "Result", "Detail");
        foreach (var (l, outcome) in results)
        {
            table.AddRow(Cell(l.Queue), Cell(l.MessageId ?? "(none)"), Cell(l.MessageType ?? "?"), Cell(l.OrderId ?? ""), Cell(l.FulfillmentId?.ToString() ?? ""),
                Cell(l.ShortExceptionType), Cell(outcome.Outcome), Cell(outcome.Detail));
        }

        console.Write(table);

        var summary = new Table().Title("Summary").AddColumns("Queue", dryRun ? "Would now be" : "Result", "Messages");
        foreach (var group in results.GroupBy(r => (r.Letter.Queue, r.Outcome.Outcome)).OrderBy(g => g.Key.Queue, StringComparer.Ordinal))
            summary.AddRow(Cell(group.Key.Queue), Cell(group.Key.Outcome), Number(group.Count()));
        console.Write(summary);
    }

    static Markup Cell(string text) => new(Markup.Escape(text));

    static Markup Number(long value) => new(value.ToString(CultureInfo.InvariantCulture));
}
