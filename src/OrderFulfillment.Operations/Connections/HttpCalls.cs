namespace OrderFulfillment.Operations.Connections;

/// <summary>One HTTP call to a server the tools depend on, with a failure to reach it told the same way everywhere.</summary>
internal static class HttpCalls
{
    /// <summary>Sends <paramref name="request"/>; a server that cannot be reached or does not answer in time is an <see cref="OperationException.Unreachable"/>.</summary>
    /// <param name="target">The server as a person names it: "RabbitMQ's management API at http://…", "the order service at http://…".</param>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request, string target, CancellationToken ct)
    {
        try
        {
            return await http.SendAsync(request, ct);
        }
        catch (HttpRequestException exception)
        {
            throw OperationException.Unreachable($"cannot reach {target}: {exception.Message}", exception);
        }
        catch (TaskCanceledException exception) when (!ct.IsCancellationRequested)
        {
            throw OperationException.Unreachable($"{target} did not answer within {http.Timeout.TotalSeconds:0} s", exception);
        }
    }
}
