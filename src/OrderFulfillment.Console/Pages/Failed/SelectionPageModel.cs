using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Console.FailedMessages;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.DeadLetters;

namespace OrderFulfillment.Console.Pages.Failed;

/// <summary>What a dry run, a retry or a discard did, for the <c>_Outcomes</c> fragment.</summary>
public sealed record OutcomesView(string Action, IReadOnlyList<ReplayResult> Results, string? Problem)
{
    public bool IsDryRun => Action == SelectionPageModel.DryRunAction;
}

/// <summary>
/// The actions of the group and message pages, on the messages ticked (<c>selected</c>: <c>queue|key</c>): a dry run
/// first, whose fragment then offers to retry or discard exactly those.
/// </summary>
public abstract class SelectionPageModel(FailedMessageDesk desk) : PageModel
{
    public const string DryRunAction = "dry run";

    public Task<IActionResult> OnPostDryRunAsync(string[] selected, CancellationToken ct) =>
        OutcomesAsync(DryRunAction, Parse(selected), desk.DryRunAsync, ct);

    public Task<IActionResult> OnPostRetryAsync(string[] selected, CancellationToken ct) =>
        OutcomesAsync("retry", Parse(selected), desk.RetryAsync, ct);

    public Task<IActionResult> OnPostDiscardAsync(string[] selected, CancellationToken ct) =>
        OutcomesAsync("discard", Parse(selected), desk.DiscardAsync, ct);

    async Task<IActionResult> OutcomesAsync(string action, List<Selected> selection,
        Func<IReadOnlyCollection<Selected>, CancellationToken, Task<IReadOnlyList<ReplayResult>>> run, CancellationToken ct)
    {
        if (selection.Count == 0)
            return Partial("_Outcomes", new OutcomesView(action, [], "Tick at least one message."));
        try
        {
            return Partial("_Outcomes", new OutcomesView(action, await run(selection, ct), null));
        }
        catch (OperationException exception)
        {
            return Partial("_Outcomes", new OutcomesView(action, [], exception.Message));
        }
    }

    static List<Selected> Parse(string[] selected) => [.. selected.Select(Selected.Parse).OfType<Selected>().Distinct()];
}
