using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Hosting;

/// <summary>
/// Checks every route value and query-string value before an endpoint binds it, so bad input is a 400 ProblemDetails
/// naming the parameter and never reaches the database (a NUL in text is PostgreSQL's 22021, a 500 without this):
/// the text rule of <see cref="ParameterText"/> for every value, and for the endpoint's number, time, id and flag
/// parameters that the value parses as that type. The minimal API's own binding failure would answer a 400 with no
/// word of which parameter; this answers first.
/// </summary>
public static class ParameterGuard
{
    /// <summary>Kestrel's limit on the request line (8 KiB by default), raised so a 10,000-character value still reaches the guard.</summary>
    public const int MaxRequestLineSize = 16 * 1024;

    public static WebApplication UseParameterGuard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (Problem(context) is { } problem)
                await problem.ExecuteAsync(context);
            else
                await next(context);
        });
        return app;
    }

    static IResult? Problem(HttpContext context)
    {
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && ParameterText.Problem(text) is { } reason)
                return Invalid(name, reason);
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if (ParameterText.Problem(name) is { } nameReason)
                return Invalid("(a query parameter's name)", nameReason);
            foreach (var value in values)
            {
                if (value is not null && ParameterText.Problem(value) is { } reason)
                    return Invalid(name, reason);
            }
        }

        if (context.GetEndpoint()?.Metadata.GetMetadata<MethodInfo>() is not { } handler)
            return null;
        foreach (var parameter in handler.GetParameters())
        {
            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            if (parameter.Name is not { } name || !Parsers.TryGetValue(type, out var parser))
                continue;
            var raw = context.Request.RouteValues.TryGetValue(name, out var routeValue) ? routeValue as string : (string?)context.Request.Query[name];
            if (raw is not null && !parser(raw))
                return Invalid(name, $"'{raw}' is not {Describe(type)}");
        }

        return null;
    }

    static IResult Invalid(string name, string reason) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Invalid {name}", detail: $"The parameter {name} is not accepted: {reason}.",
            extensions: new Dictionary<string, object?> { ["parameter"] = name });

    // The parameter types the endpoints take from a URL, parsed as the minimal API binds them (invariant culture).
    static readonly Dictionary<Type, Func<string, bool>> Parsers = new()
    {
        [typeof(int)] = value => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        [typeof(long)] = value => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        [typeof(Guid)] = value => Guid.TryParse(value, out _),
        [typeof(bool)] = value => bool.TryParse(value, out _),
        [typeof(DateTimeOffset)] = value => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
    };

    static string Describe(Type type) =>
        type == typeof(int) ? "a 32-bit integer"
        : type == typeof(long) ? "a 64-bit integer"
        : type == typeof(Guid) ? "a UUID"
        : type == typeof(bool) ? "true or false"
        : "a time (ISO 8601)";
}
