using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace OrderFulfillment.Console.Hosting;

/// <summary>
/// The console can retry and discard messages, so every page but the login asks for the operator key
/// (<c>Console__ApiKey</c>). Signing in with it sets a cookie for the session; a script sends it in the
/// <c>X-Api-Key</c> header instead (a wrong key answers 401, not the login page).
/// </summary>
public sealed class OperatorAccess(IOptions<ConsoleOptions> options)
{
    public const string LoginPath = "/login";
    public const string ApiKeyHeader = "X-Api-Key";
    public const string ApiKeyScheme = "ApiKey";
    public const string OperatorScheme = "Operator";

    readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.ApiKey);

    public bool Accepts(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(_key, Encoding.UTF8.GetBytes(presented));

    public static ClaimsPrincipal Operator(string scheme) => new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], scheme));

    public static Task SignInAsync(HttpContext context) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            Operator(CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { IsPersistent = false });
}

public static class OperatorAccessExtensions
{
    public static WebApplicationBuilder AddOperatorAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OperatorAccess>();
        builder.Services.AddAuthentication(OperatorAccess.OperatorScheme)
            // The header when a request carries it, the session cookie otherwise.
            .AddPolicyScheme(OperatorAccess.OperatorScheme, "operator key", policy => policy.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(OperatorAccess.ApiKeyHeader) ? OperatorAccess.ApiKeyScheme : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(OperatorAccess.ApiKeyScheme, null)
            .AddCookie(cookie =>
        {
            cookie.LoginPath = OperatorAccess.LoginPath;
            cookie.Cookie.Name = "orderfulfillment-console";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });
        builder.Services.AddAuthorization();
        return builder;
    }
}

/// <summary>Authenticates a request by the operator key in its <c>X-Api-Key</c> header (for scripts).</summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorAccess access)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(OperatorAccess.ApiKeyHeader, out var presented))
            return Task.FromResult(AuthenticateResult.NoResult());
        return Task.FromResult(access.Accepts(presented.ToString())
            ? AuthenticateResult.Success(new AuthenticationTicket(OperatorAccess.Operator(Scheme.Name), Scheme.Name))
            : AuthenticateResult.Fail("the X-Api-Key header does not hold the operator key"));
    }
}
