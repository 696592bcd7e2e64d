using Microsoft.AspNetCore.Mvc;
using OrderFulfillment.Console.FailedMessages;
using OrderFulfillment.Operations.Connections;
using OrderFulfillment.Operations.DeadLetters;

namespace OrderFulfillment.Console.Pages.Failed;

/// <summary>One failed message: its headers, body and stack trace, and its own dry run, retry and discard.</summary>
public sealed class FailedMessageModel(FailedMessageDesk desk) : SelectionPageModel(desk)
{
    readonly FailedMessageDesk _desk = desk;

    [BindProperty(SupportsGet = true)]
    public string Queue { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string Key { get; set; } = "";

    public DeadLetter? Letter { get; private set; }
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Letter = await _desk.FindAsync(new Selected(Queue, Key), ct);
            if (Letter is null)
                Response.StatusCode = StatusCodes.Status404NotFound;
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
