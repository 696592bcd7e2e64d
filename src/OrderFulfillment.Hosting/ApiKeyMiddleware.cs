using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace OrderFulfillment.Hosting;

/// <summary>
/// When API keys are configured (<c>ApiKeys__0</c>, <c>ApiKeys__1</c>, …), every endpoint but the health checks and
/// /metrics answers 401 unless the request carries one of them in the <c>X-Api-Key</c> header. With none configured
/// the read-only endpoints are open (local development).
/// </summary>
public static class ApiKeyMiddleware
{
    public const string Header = "X-Api-Key";

    public static WebApplication UseApiKeys(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var keys = ConfiguredKeys(app.Configuration).Select(Encoding.UTF8.GetBytes).ToArray();
        if (keys.Length == 0)
            return app;

        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            if (path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics"))
            {
                await next(context);
                return;
            }

            var presented = Encoding.UTF8.GetBytes(context.Request.Headers[Header].ToString());
            if (keys.Any(key => CryptographicOperations.FixedTimeEquals(key, presented)))
            {
                await next(context);
                return;
            }

            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "API key required",
                detail: $"Send a valid API key in the {Header} header.").ExecuteAsync(context);
        });
        return app;
    }

    /// <summary>The keys in <c>ApiKeys</c>, blanks left out; none means the endpoints are open.</summary>
    public static string[] ConfiguredKeys(IConfiguration configuration) =>
        configuration.GetSection("ApiKeys").Get<string[]>()?.Where(k => !string.IsNullOrWhiteSpace(k)).ToArray() ?? [];
}
