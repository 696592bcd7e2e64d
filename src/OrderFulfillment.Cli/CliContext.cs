using System.CommandLine;
using System.Globalization;
using OrderFulfillment.Cli.Connections;
using RabbitMQ.Client.Exceptions;
using Spectre.Console;

namespace OrderFulfillment.Cli;

/// <summary>What every command shares: where it writes, the connection options, and how failures become exit codes.</summary>
public sealed class CliContext
{
    public CliContext(TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        Output = output;
        Error = error;
        Connection = new ConnectionOptions(environment);
        var isTerminal = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // COLUMNS, when set, is the width to lay tables out for (COLUMNS=80 ofctl order show … | less). Otherwise a
        // terminal's own width, and redirected output (a file, a pipe, a test), read by scripts, wide enough that ids never wrap.
        if (int.TryParse(environment("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns > 0)
            Console.Profile.Width = columns;
        else if (!isTerminal)
            Console.Profile.Width = 240;
    }

    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public IAnsiConsole Console { get; }
    public ConnectionOptions Connection { get; }

    /// <summary>Sets a command's action: resolves the connection settings and turns failures into exit codes and one line on stderr.</summary>
    public void SetAction(Command command, Func<ParseResult, ConnectionSettings, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                return await action(parse, Connection.Resolve(parse), ct);
            }
            catch (OperationException exception)
            {
                await Error.WriteLineAsync($"ofctl: {exception.Message}");
                if (exception.ExitCode == ExitCodes.Usage)
                    await Error.WriteLineAsync($"Run '{CommandPath(parse)} --help' for usage.");
                return exception.ExitCode;
            }
            catch (AlreadyClosedException exception)
            {
                await Error.WriteLineAsync($"ofctl: lost the connection to RabbitMQ: {exception.Message}");
                return ExitCodes.Unreachable;
            }
            catch (OperationInterruptedException exception)
            {
                await Error.WriteLineAsync($"ofctl: RabbitMQ refused the operation: {exception.ShutdownReason?.ReplyText ?? exception.Message}");
                return ExitCodes.Failed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Error.WriteLineAsync("ofctl: cancelled");
                return ExitCodes.Failed;
            }
        });

    /// <summary>"ofctl errors replay", for hints.</summary>
    public static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (result.Command is not RootCommand)
                names.Add(result.Command.Name);
        }

        names.Add("ofctl");
        names.Reverse();
        return string.Join(' ', names);
    }
}
