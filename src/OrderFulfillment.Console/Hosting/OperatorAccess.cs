using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace OrderFulfillment.Console.Hosting;

/// <summary>
/// The console can retry and discard messages, so every page but the login asks for the operator key
/// (<c>Console__ApiKey</c>). Signing in with it sets a cookie for the session.
/// </summary>
public sealed class OperatorAccess(IOptions<ConsoleOptions> options)
{
    public const string LoginPath = "/login";

    readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.ApiKey);

    public bool Accepts(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(_key, Encoding.UTF8.GetBytes(presented));

    public static Task SignInAsync(HttpContext context) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], CookieAuthenticationDefaults.AuthenticationScheme)),
            new AuthenticationProperties { IsPersistent = false });
}

public static class OperatorAccessExtensions
{
    public static WebApplicationBuilder AddOperatorAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OperatorAccess>();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
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
