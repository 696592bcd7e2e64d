using Microsoft.AspNetCore.Mvc.RazorPages;
using OrderFulfillment.Console.FailedMessages;
using OrderFulfillment.Operations.Connections;

namespace OrderFulfillment.Console.Pages.Failed;

public sealed class FailedIndexModel(FailedMessageDesk desk) : PageModel
{
    public IReadOnlyList<FailureGroup> Groups { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        try
        {
            Groups = await desk.GroupsAsync(ct);
        }
        catch (OperationException exception)
        {
            Problem = exception.Message;
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        }
    }
}
