using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace OrderFulfillment.Cli.Connections;

/// <summary>
/// The connection options every command takes (recursive on the root command). An option left out falls back to the
/// environment variable the services read (<c>RabbitMq__Host</c> and so on), then to the services' default.
/// Defaults are resolved when a command runs, so <c>--help</c> never prints a password taken from the environment.
/// </summary>
public sealed class ConnectionOptions
{
    readonly Func<string, string?> _environment;

    public ConnectionOptions(Func<string, string?> environment)
    {
        _environment = environment;
        All = [Host, Port, VirtualHost, Username, Password, ManagementPort, OrderService, FulfillmentService, ApiKey];
        foreach (var option in All)
            option.Recursive = true;
        Port.Validators.Add(ValidatePort);
        ManagementPort.Validators.Add(ValidatePort);
        OrderService.CustomParser = ParseUrl;
        FulfillmentService.CustomParser = ParseUrl;
    }

    public Option<string> Host { get; } = new("--host") { Description = "RabbitMQ host [env RabbitMq__Host, default localhost]", HelpName = "host" };
    public Option<int?> Port { get; } = new("--port") { Description = "RabbitMQ AMQP port [env RabbitMq__Port, default 5672]", HelpName = "port" };
    public Option<string> VirtualHost { get; } = new("--vhost") { Description = "RabbitMQ virtual host [env RabbitMq__VirtualHost, default /]", HelpName = "vhost" };
    public Option<string> Username { get; } = new("--username") { Description = "RabbitMQ user [env RabbitMq__Username, default orderfulfillment]", HelpName = "user" };
    public Option<string> Password { get; } = new("--password") { Description = "RabbitMQ password [env RabbitMq__Password, default orderfulfillment]", HelpName = "password" };

    public Option<int?> ManagementPort { get; } = new("--management-port")
    {
        Description = "RabbitMQ management API port, on the same host (errors commands) [env RabbitMq__ManagementPort, default 15672]",
        HelpName = "port",
    };

    public Option<Uri> OrderService { get; } = new("--order-service")
    {
        Description = "Order service base URL [env OFCTL_ORDER_SERVICE, default http://localhost:5100]",
        HelpName = "url",
    };

    public Option<Uri> FulfillmentService { get; } = new("--fulfillment-service")
    {
        Description = "Fulfillment service base URL [env OFCTL_FULFILLMENT_SERVICE, default http://localhost:5200]",
        HelpName = "url",
    };

    public Option<string> ApiKey { get; } = new("--api-key") { Description = "Sent as header X-Api-Key on HTTP calls to the services [env OFCTL_API_KEY]", HelpName = "key" };

    public IReadOnlyList<Option> All { get; }

    public ConnectionSettings Resolve(ParseResult parse) => new()
    {
        Host = parse.GetValue(Host) ?? Env("RabbitMq__Host") ?? "localhost",
        Port = parse.GetValue(Port) ?? EnvPort("RabbitMq__Port") ?? 5672,
        VirtualHost = parse.GetValue(VirtualHost) ?? Env("RabbitMq__VirtualHost") ?? "/",
        Username = parse.GetValue(Username) ?? Env("RabbitMq__Username") ?? "orderfulfillment",
        Password = parse.GetValue(Password) ?? Env("RabbitMq__Password") ?? "orderfulfillment",
        ManagementPort = parse.GetValue(ManagementPort) ?? EnvPort("RabbitMq__ManagementPort") ?? 15672,
        OrderService = parse.GetValue(OrderService) ?? EnvUri("OFCTL_ORDER_SERVICE") ?? new Uri("http://localhost:5100"),
        FulfillmentService = parse.GetValue(FulfillmentService) ?? EnvUri("OFCTL_FULFILLMENT_SERVICE") ?? new Uri("http://localhost:5200"),
        ApiKey = parse.GetValue(ApiKey) ?? Env("OFCTL_API_KEY"),
    };

    static void ValidatePort(OptionResult result)
    {
        if (result.GetValueOrDefault<int?>() is { } port && port is < 1 or > 65535)
            result.AddError($"{result.Option.Name} {port} is not a port number (1-65535)");
    }

    static Uri? ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        result.AddError($"'{text}' is not an http(s) URL, e.g. http://localhost:5100");
        return null;
    }

    string? Env(string name) => _environment(name) is { Length: > 0 } value ? value : null;

    int? EnvPort(string name)
    {
        var text = Env(name);
        if (text is null)
            return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw OperationException.Usage($"environment variable {name}='{text}' is not a port number");
    }

    Uri? EnvUri(string name)
    {
        var text = Env(name);
        if (text is null)
            return null;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri)
            ? uri
            : throw OperationException.Usage($"environment variable {name}='{text}' is not an absolute URL");
    }
}
