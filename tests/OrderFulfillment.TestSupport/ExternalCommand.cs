using System.Diagnostics;
using Xunit;

namespace OrderFulfillment.TestSupport;

/// <summary>A command of the machine the tests run on (rabbitmqctl, pg_ctlcluster, a script of scripts/).</summary>
public static class ExternalCommand
{
    /// <summary>Runs a command and returns its standard output; fails the test when it fails, unless <paramref name="mayFail"/>.</summary>
    public static async Task<string> RunAsync(string command, string arguments, bool mayFail = false)
    {
        var info = new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(mayFail || process.ExitCode == 0, $"{command} {arguments} failed ({process.ExitCode}): {await stderr}{stdout}");
        return stdout.Trim();
    }
}
