using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OrderFulfillment.Contracts;
using Xunit.Abstractions;

namespace OrderFulfillment.Console.Tests.Http;

/// <summary>
/// The whole HTTP surface fed bad input: every route of both services' OpenAPI documents and every page of the
/// console, each parameter (and one unknown query parameter) given NUL and control characters, invalid
/// percent-encodings, 10,000 characters, negative and huge numbers and wrong types. No 5xx, a ProblemDetails on every
/// 4xx of the services and on every 400 of the console, and nothing unhandled in any log.
/// </summary>
[Collection(ConsoleCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class BadInputFuzzTests(ConsoleSystem console, ITestOutputHelper output)
{
    // As they go on the wire: the test writes them into the URL as they are.
    static readonly string[] BadValues =
    [
        "%00", "a%00b", "%01", "%1F", "%7F", "%0A", "%0D%0A", "%09", "%zz", "%", "%4", "%C3%28", "%FF", "%ED%A0%80", "%25",
        new string('a', 10_000), "-1", "0", "-2147483649", "2147483648", "99999999999999999999999999", "1.5", "1e9", "abc", "true",
        "%20", "2026-13-45T99:99:99Z", "00000000-0000-0000-0000-00000000000g",
    ];

    /// <summary>The console's pages and the URL parameters each one reads (its page model's bound properties and handler arguments).</summary>
    static readonly Route[] ConsoleRoutes =
    [
        new("/", []),
        new("/login", [new("returnUrl", "query")]),
        new("/orders", [new("orderId", "query"), new("status", "query"), new("stuckMinutes", "query"), new("after", "query")]),
        new("/orders/{orderId}", [new("orderId", "path")]),
        new("/failed", []),
        new("/failed/group", [new("exception", "query"), new("type", "query")]),
        new("/failed/message", [new("queue", "query"), new("key", "query")]),
        new("/machines", []),
        new("/health", []),
        new("/reconcile", []),
    ];

    [Fact]
    public async Task Bad_input_anywhere_gets_a_4xx_problem_and_never_a_5xx()
    {
        Assert.Equal(ConsolePageRoutes().Order(StringComparer.Ordinal), ConsoleRoutes.Select(r => r.Path).Order(StringComparer.Ordinal));
        var logsBefore = Processes().ToDictionary(p => p.Name, p => p.Process.Log.Count());

        using var orders = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.System.Orders.BaseAddress };
        using var fulfillments = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.System.Fulfillments.BaseAddress };
        using var operatorConsole = await SignedInConsoleAsync();
        var targets = new List<(string Service, HttpClient Http, Route Route, bool ProblemOnEvery4xx)>();
        foreach (var route in await OpenApiRoutesAsync(orders))
            targets.Add(("order service", orders, route, true));
        foreach (var route in await OpenApiRoutesAsync(fulfillments))
            targets.Add(("fulfillment service", fulfillments, route, true));
        // The console answers an order, group or message that does not exist with its page (404, HTML); bad input is a 400 problem.
        foreach (var route in ConsoleRoutes)
            targets.Add(("console", operatorConsole, route, false));

        var failures = new List<string>();
        var sent = 0;
        var refusedByKestrel = 0;
        foreach (var (service, http, route, problemOnEvery4xx) in targets)
        {
            foreach (var parameter in route.Parameters.Append(new Parameter("fuzz", "query")))
            {
                foreach (var value in BadValues)
                {
                    if (parameter.In == "path" && value.Length == 0)
                        continue;
                    var url = Url(route, parameter, value);
                    using var request = new HttpRequestMessage(HttpMethod.Get,
                        new Uri(http.BaseAddress + url.TrimStart('/'), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
                    using var response = await http.SendAsync(request);
                    sent++;
                    var status = (int)response.StatusCode;
                    var mediaType = response.Content.Headers.ContentType?.MediaType;
                    var shown = url.Length > 120 ? url[..120] + "…" : url;
                    if (status >= 500)
                        failures.Add($"{service} GET {shown}: {status}");
                    else if (status >= 400 && (problemOnEvery4xx || status == 400))
                    {
                        var body = await response.Content.ReadAsStringAsync();
                        // Kestrel refuses a NUL in the path itself, with a bare 400, before any middleware could answer.
                        if (status == 400 && body.Length == 0 && parameter.In == "path" && value.Contains("%00", StringComparison.Ordinal))
                        {
                            refusedByKestrel++;
                            continue;
                        }

                        if (mediaType != "application/problem+json" || !IsProblem(body, status))
                            failures.Add($"{service} GET {shown}: {status} {mediaType} without a ProblemDetails: {Shorten(body)}");
                    }
                }
            }
        }

        var unhandled = Processes().SelectMany(p => p.Process.Log.Skip(logsBefore[p.Name]).Where(Unhandled).Select(line => $"{p.Name}: {line}")).ToList();
        output.WriteLine($"sent {sent} requests to {targets.Count} routes ({targets.Count(t => t.Service != "console")} from the services' OpenAPI " +
            $"documents, {ConsoleRoutes.Length} console pages), {BadValues.Length} bad values per parameter; {refusedByKestrel} refused by Kestrel " +
            "itself (a NUL in the path: a bare 400)");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests:\n{string.Join("\n", failures.Take(40))}");
        Assert.True(unhandled.Count == 0, "unhandled in the logs:\n" + string.Join("\n", unhandled.Take(40)));
        Assert.True(sent > 500, $"only {sent} requests");
    }

    [Fact]
    public async Task Bad_fields_in_a_repair_form_get_a_400_problem_naming_the_field()
    {
        var logsBefore = console.ConsoleProcess.Log.Count();
        using var operatorConsole = await SignedInConsoleAsync();
        var reconcile = await operatorConsole.GetStringAsync("reconcile");
        var token = AntiforgeryToken().Match(reconcile);
        Assert.True(token.Success, "the reconciliation page's forms have an antiforgery token");
        var fields = new Dictionary<string, string> { ["orderId"] = "ORD-FUZZ-1", ["fulfillmentId"] = Guid.NewGuid().ToString() };

        var failures = new List<string>();
        var sent = 0;
        foreach (var field in fields.Keys.Append("(both missing)"))
        {
            foreach (var value in field == "(both missing)" ? [""] : BadValues.Where(v => !(field == "orderId" && OrderIds.IsValid(v))))
            {
                // The body as it goes on the wire: the bad values hold their own percent-encodings, valid or not.
                var body = $"__RequestVerificationToken={Uri.EscapeDataString(WebUtility.HtmlDecode(token.Groups[1].Value))}" + string.Concat(
                    fields.Where(f => field != "(both missing)").Select(f => $"&{f.Key}={(f.Key == field ? value : f.Value)}"));
                using var form = new StringContent(body, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
                using var response = await operatorConsole.PostAsync("reconcile?handler=Repair", form);
                sent++;
                var text = await response.Content.ReadAsStringAsync();
                // ASP.NET Core's form reader refuses a NUL anywhere in the form, before the page sees a field (and its token).
                var expected = value.Contains("%00", StringComparison.Ordinal) ? null : field == "(both missing)" ? "orderId" : field;
                if ((int)response.StatusCode != 400 || response.Content.Headers.ContentType?.MediaType != "application/problem+json" || !IsProblem(text, 400)
                    || ProblemParameter(text) != expected || (expected is null && !text.Contains("Form refused", StringComparison.Ordinal)))
                    failures.Add($"{field}={(value.Length > 40 ? value[..40] + "…" : value)}: {(int)response.StatusCode} {Shorten(text)}");
            }
        }

        // A form without its antiforgery token (a page of another session) is refused with the reason too.
        using (var tokenless = new FormUrlEncodedContent(fields))
        using (var refused = await operatorConsole.PostAsync("reconcile?handler=Repair", tokenless))
        {
            sent++;
            var text = await refused.Content.ReadAsStringAsync();
            if ((int)refused.StatusCode != 400 || !IsProblem(text, 400) || !text.Contains("Form refused", StringComparison.Ordinal))
                failures.Add($"no antiforgery token: {(int)refused.StatusCode} {Shorten(text)}");
        }

        output.WriteLine($"sent {sent} repair forms with a bad field or no token");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} forms:\n{string.Join("\n", failures.Take(40))}");
        Assert.DoesNotContain(console.ConsoleProcess.Log.Skip(logsBefore), Unhandled);
    }

    IEnumerable<(string Name, ServiceProcess Process)> Processes() =>
        [("order service", console.System.Orders), ("fulfillment service", console.System.Fulfillments), ("console", console.ConsoleProcess)];

    /// <summary>The URL with <paramref name="fuzzed"/> set to the bad value and every other path parameter to a well-formed one.</summary>
    static string Url(Route route, Parameter fuzzed, string value)
    {
        var path = route.Parameters.Where(p => p.In == "path")
            .Aggregate(route.Path, (url, p) => url.Replace("{" + p.Name + "}", p == fuzzed ? value : WellFormed(p.Name), StringComparison.Ordinal));
        return fuzzed.In == "query" ? $"{path}?{fuzzed.Name}={value}" : path;
    }

    static string WellFormed(string name) => name.EndsWith("Id", StringComparison.Ordinal) && name.StartsWith("fulfillment", StringComparison.Ordinal)
        ? Guid.NewGuid().ToString()
        : "FUZZ-1";

    static async Task<IReadOnlyList<Route>> OpenApiRoutesAsync(HttpClient http)
    {
        var document = await http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var routes = new List<Route>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name == "get"))
            {
                var parameters = operation.Value.TryGetProperty("parameters", out var list)
                    ? list.EnumerateArray().Select(p => new Parameter(p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!)).ToArray()
                    : [];
                routes.Add(new Route(path.Name, parameters));
            }
        }

        Assert.NotEmpty(routes);
        return routes;
    }

    /// <summary>A client signed in to the console with the operator key (its login form, antiforgery token included).</summary>
    async Task<HttpClient> SignedInConsoleAsync()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        var http = new HttpClient(handler) { BaseAddress = console.ConsoleProcess.BaseAddress };
        var login = await http.GetStringAsync("login");
        var token = AntiforgeryToken().Match(login);
        Assert.True(token.Success, "the login form has an antiforgery token");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = ConsoleSystem.OperatorKey,
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        });
        using var signedIn = await http.PostAsync("login", form);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        using var orders = await http.GetAsync("orders");
        Assert.Equal(HttpStatusCode.OK, orders.StatusCode);
        return http;
    }

    /// <summary>Every <c>@page "…"</c> route in the console's source, so a new page without a place in <see cref="ConsoleRoutes"/> fails here.</summary>
    static IEnumerable<string> ConsolePageRoutes()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "OrderFulfillment.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        return Directory.EnumerateFiles(Path.Combine(root.FullName, "src", "OrderFulfillment.Console", "Pages"), "*.cshtml", SearchOption.AllDirectories)
            .Select(file => PageDirective().Match(File.ReadAllText(file)))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value);
    }

    static bool IsProblem(string body, int status)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.TryGetProperty("status", out var value) && value.GetInt32() == status
                && document.RootElement.TryGetProperty("title", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>An exception that reached the host, or a database error from a value that should never have got there.</summary>
    static bool Unhandled(string line) =>
        line.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase)
        || ((line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal)
             // A line of the services and the console starts with its time: "2026-12-02T12:44:37.135Z fail: …".
             || line.Contains("Z fail: ", StringComparison.Ordinal) || line.Contains("Z crit: ", StringComparison.Ordinal))
            && (line.Contains("Microsoft.AspNetCore", StringComparison.Ordinal) || line.Contains("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
                || line.Contains("Npgsql", StringComparison.Ordinal)));

    static string? ProblemParameter(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("parameter", out var name) ? name.GetString() : null;
    }

    static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryToken();

    [GeneratedRegex("^@page \"([^\"]+)\"", RegexOptions.Multiline)]
    private static partial Regex PageDirective();

    sealed record Route(string Path, Parameter[] Parameters);

    sealed record Parameter(string Name, string In);
}
