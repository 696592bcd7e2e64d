using System.ComponentModel.DataAnnotations;

namespace OrderFulfillment.Console.Hosting;

/// <summary>Section <c>Console</c>: who may use the console, and where the two services are.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>The key an operator signs in with (<c>Console__ApiKey</c>); the development default is in appsettings.json.</summary>
    [Required, MinLength(12)]
    public string ApiKey { get; set; } = "";

    [Required]
    public Uri OrderService { get; set; } = new("http://localhost:5100");

    [Required]
    public Uri FulfillmentService { get; set; } = new("http://localhost:5200");

    /// <summary>Sent as <c>X-Api-Key</c> to the services, when they require one (<c>ApiKeys__0</c> there).</summary>
    public string? ServiceApiKey { get; set; }

    /// <summary>The trace UI (Jaeger, e.g. <c>http://localhost:16686</c>; <c>Console__TraceUi</c>): each order page links to its trace. None: no link.</summary>
    public Uri? TraceUi { get; set; }
}

/// <summary>Section <c>RabbitMq</c>, as the services read it, plus the management API's port.</summary>
public sealed class BrokerOptions
{
    public const string Section = "RabbitMq";

    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    [Required]
    public string VirtualHost { get; set; } = "/";

    [Required]
    public string Username { get; set; } = "orderfulfillment";

    [Required]
    public string Password { get; set; } = "orderfulfillment";

    [Range(1, 65535)]
    public int ManagementPort { get; set; } = 15672;
}
