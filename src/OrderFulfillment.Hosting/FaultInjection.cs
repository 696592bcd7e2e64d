using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrderFulfillment.Persistence;

namespace OrderFulfillment.Hosting;

/// <summary>
/// Test-only fault point: <c>FaultInjection__KillAfterCommits=N</c> makes the process kill itself (SIGKILL, no
/// cleanup) right after the Nth transaction that wrote outbox messages has committed and before they are delivered.
/// Unset in every real deployment.
/// </summary>
public static class FaultInjection
{
    /// <summary>Adds the fault point as an <see cref="IOutboxCommitObserver"/> when <c>FaultInjection:KillAfterCommits</c> is set.</summary>
    public static IServiceCollection AddFaultInjection(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var limit = configuration.GetValue<int?>("FaultInjection:KillAfterCommits");
        if (limit is > 0)
            services.AddSingleton<IOutboxCommitObserver>(new KillAfterCommits(limit.Value));
        return services;
    }

    sealed class KillAfterCommits(int limit) : IOutboxCommitObserver
    {
        int _commits;

        public void OnCommitted()
        {
            if (Interlocked.Increment(ref _commits) == limit)
                Process.GetCurrentProcess().Kill();
        }
    }
}
