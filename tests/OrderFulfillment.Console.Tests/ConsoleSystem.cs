using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace OrderFulfillment.Console.Tests;

/// <summary>
/// Both services and the console as processes on a fresh vhost and databases, and a headless Chromium (Debian's
/// <c>chromium</c> package; Playwright's own browser download is not used). One per test collection.
/// </summary>
public sealed class ConsoleSystem : IAsyncLifetime
{
    public const string OperatorKey = "console-test-operator-key";

    /// <summary>The trace UI the console links orders to (nothing answers there: the tests read the links).</summary>
    public const string TraceUi = "http://127.0.0.1:16686";

    public SystemUnderTest System { get; private set; } = null!;
    public ServiceProcess ConsoleProcess { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Where the tests save their screenshots: <c>CONSOLE_SCREENSHOTS</c>, or <c>screenshots/</c> in the test's output folder.</summary>
    public static string ScreenshotFolder =>
        Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS") is { Length: > 0 } folder ? folder : Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"no browser at {ChromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)");
        // A short deadline for "packed" (no other page test leaves a fulfillment there) lets the order page show an overdue one.
        System = await SystemUnderTest.StartAsync("console", environment => environment["FulfillmentDeadlines__packed"] = "00:00:02");
        var environment = System.Infrastructure.BrokerEnvironment();
        environment["RabbitMq__ManagementPort"] = TestInfrastructure.ManagementPort.ToString(CultureInfo.InvariantCulture);
        environment["Console__ApiKey"] = OperatorKey;
        environment["Console__OrderService"] = System.Orders.BaseAddress.ToString();
        environment["Console__FulfillmentService"] = System.Fulfillments.BaseAddress.ToString();
        environment["Console__TraceUi"] = TraceUi;
        // Sweeps close together, so the reconciliation page test sees a drift flagged within seconds.
        environment["Reconcile__Interval"] = "00:00:02";
        ConsoleProcess = await ServiceProcess.StartAsync("OrderFulfillment.Console", environment);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>A signed-in page of the given width (800 high unless said).</summary>
    public async Task<IPage> SignedInPageAsync(int width = 1280, int height = 800)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = width, Height = height }, BaseURL = ConsoleProcess.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/login");
        await page.FillAsync("input[name=key]", OperatorKey);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    /// <summary>Polls a service's JSON until it satisfies <paramref name="done"/>.</summary>
    public static async Task<JsonElement> WaitForJsonAsync(ServiceProcess service, string path, Func<JsonElement, bool> done, string what)
    {
        using var http = service.Http();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                last = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (done(last))
                    return last;
            }

            await Task.Delay(200); // the interval of a poll until the console answers, not a quiet period
        }

        throw new TimeoutException($"{what}: GET {path} last answered {last}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (ConsoleProcess is not null)
            await ConsoleProcess.DisposeAsync();
        if (System is not null)
            await System.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleSystem>
{
    public const string Name = "console";
}
