using Microsoft.AspNetCore.Mvc;
using OrderFulfillment.Console.FailedMessages;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages.Failed;

/// <summary>One group of failed messages (same exception, same message type): tick, dry run, then retry or discard.</summary>
public sealed class FailedGroupModel(FailedMessageDesk desk) : SelectionPageModel(desk)
{
    readonly FailedMessageDesk _desk = desk;

    [BindProperty(SupportsGet = true)]
    public string Exception { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string Type { get; set; } = "";

    public FailureGroup? Group { get; private set; }
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Group = await _desk.GroupAsync(Exception, Type, ct);
            if (Group is null)
                Response.StatusCode = StatusCodes.Status404NotFound;
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
