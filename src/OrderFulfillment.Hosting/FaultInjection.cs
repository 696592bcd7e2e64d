using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace OrderFulfillment.Hosting;

/// <summary>
/// Test-only fault point: <c>FaultInjection__KillAfterCommits=N</c> makes the process kill itself (SIGKILL, no
/// cleanup) right after the Nth transaction that wrote outbox messages has committed and before they are delivered.
/// Unset in every real deployment.
/// </summary>
public static class FaultInjection
{
    public static Action? KillAfterCommits(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var limit = configuration.GetValue<int?>("FaultInjection:KillAfterCommits");
        if (limit is not > 0)
            return null;
        var commits = 0;
        return () =>
        {
            if (Interlocked.Increment(ref commits) == limit)
                Process.GetCurrentProcess().Kill();
        };
    }
}
