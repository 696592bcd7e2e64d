using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;
using OrderFulfillment.Contracts;

namespace OrderFulfillment.Console.Hosting;

/// <summary>
/// Bad input in a URL is a 400 ProblemDetails naming the parameter, as on the services: every route and query value
/// against <see cref="ParameterText"/> before a page sees it, and a page parameter that did not bind (a number that is
/// not one) before its handler runs, instead of a page built from a value silently left out.
/// </summary>
public static class ParameterChecks
{
    public static WebApplication UseParameterChecks(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (TextProblem(context) is { } problem)
                await Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: $"Invalid {problem.Name}",
                    detail: $"The parameter {problem.Name} is not accepted: {problem.Reason}.",
                    extensions: new Dictionary<string, object?> { ["parameter"] = problem.Name }).ExecuteAsync(context);
            else
                await next(context);
        });
        return app;
    }

    /// <summary>A 400 ProblemDetails for a page handler to return.</summary>
    public static ObjectResult Invalid(string name, string reason) =>
        new(new ProblemDetails
        {
            Status = StatusCodes.Status400BadRequest,
            Title = $"Invalid {name}",
            Detail = $"The parameter {name} is not accepted: {reason}.",
            Extensions = { ["parameter"] = name },
        })
        {
            StatusCode = StatusCodes.Status400BadRequest,
            ContentTypes = { "application/problem+json" },
        };

    static (string Name, string Reason)? TextProblem(HttpContext context)
    {
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && ParameterText.Problem(text) is { } reason)
                return (name, reason);
        }

        foreach (var (name, values) in context.Request.Query)
        {
            if (ParameterText.Problem(name) is { } nameReason)
                return ("(a query parameter's name)", nameReason);
            foreach (var value in values)
            {
                if (value is not null && ParameterText.Problem(value) is { } reason)
                    return (name, reason);
            }
        }

        return null;
    }
}

/// <summary>A page parameter that did not bind (<c>stuckMinutes=abc</c>) answers 400 instead of a page without it.</summary>
public sealed class UnboundParameterFilter : IPageFilter
{
    public void OnPageHandlerSelected(PageHandlerSelectedContext context)
    {
    }

    public void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Page parameters come from the route and the query of a GET; a form's handlers check their own fields.
        if (!HttpMethods.IsGet(context.HttpContext.Request.Method))
            return;
        var invalid = context.ModelState.FirstOrDefault(entry => entry.Value?.Errors.Count > 0);
        if (invalid.Key is not null)
            context.Result = ParameterChecks.Invalid(invalid.Key, $"'{invalid.Value?.AttemptedValue}' is not a value of its type");
    }

    public void OnPageHandlerExecuted(PageHandlerExecutedContext context)
    {
    }
}

/// <summary>
/// A form post the antiforgery check refused answers with a 400 ProblemDetails that says why, instead of a bare "Bad
/// Request": a token from another session (the console restarted, the session expired), or a form ASP.NET Core could not
/// read at all (a field holding NUL), which leaves the token unread too.
/// </summary>
public sealed class RefusedFormFilter : IAlwaysRunResultFilter
{
    public void OnResultExecuting(ResultExecutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Result is IAntiforgeryValidationFailedResult)
            context.Result = new ObjectResult(new ProblemDetails
            {
                Status = StatusCodes.Status400BadRequest,
                Title = "Form refused",
                Detail = "The form was not accepted: its antiforgery token is missing or belongs to another session, or a field holds a character " +
                         "a form may not carry (NUL). Reload the page and submit it again.",
            })
            {
                StatusCode = StatusCodes.Status400BadRequest,
                ContentTypes = { "application/problem+json" },
            };
    }

    public void OnResultExecuted(ResultExecutedContext context)
    {
    }
}
