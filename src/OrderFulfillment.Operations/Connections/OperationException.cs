namespace OrderFulfillment.Operations.Connections;

/// <summary>The exit codes scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation failed, or what it names was not found.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown command or option, a missing or invalid value.</summary>
    public const int Usage = 2;

    /// <summary>The broker, its management API or a service could not be reached.</summary>
    public const int Unreachable = 3;
}

/// <summary>Ends a command with a message for the operator and one of the <see cref="ExitCodes"/>.</summary>
public sealed class OperationException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    public static OperationException Failed(string message) => new(ExitCodes.Failed, message);

    public static OperationException Usage(string message) => new(ExitCodes.Usage, message);

    public static OperationException Unreachable(string message, Exception? inner = null) => new(ExitCodes.Unreachable, message, inner);
}
