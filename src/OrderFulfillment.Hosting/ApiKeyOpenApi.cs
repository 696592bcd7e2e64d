using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrderFulfillment.Hosting;

/// <summary>
/// The API key in /openapi/v1.json. The scheme (<c>X-Api-Key</c> header) is always declared, so a client learns the
/// header; when the service has keys configured, every operation requires it and declares its 401, as
/// <see cref="ApiKeyMiddleware"/> answers. /health/* and /metrics never need a key, and are not in the document.
/// </summary>
sealed class ApiKeyOpenApi(bool keysConfigured) : IOpenApiDocumentTransformer
{
    public const string SchemeName = "ApiKey";

    public async Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyMiddleware.Header,
            Description = keysConfigured
                ? "Required: this service has API keys configured (ApiKeys__0, ApiKeys__1, …). Every endpoint but /health/* and " +
                  "/metrics, this document too, answers 401 without a valid key."
                : "Not required here: this service has no API keys configured (ApiKeys__0, ApiKeys__1, …), so its endpoints are " +
                  "open. With keys configured, every endpoint but /health/* and /metrics answers 401 without a valid key.",
        };
        if (!keysConfigured)
            return;

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(nameof(ProblemDetails)))
            document.Components.Schemas[nameof(ProblemDetails)] = await context.GetOrCreateSchemaAsync(typeof(ProblemDetails), null, cancellationToken);
        var requirement = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] };
        foreach (var operation in document.Paths.Values.SelectMany(path => path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            operation.Security = [requirement];
            operation.Responses ??= [];
            operation.Responses["401"] = new OpenApiResponse
            {
                Description = $"No valid API key in the {ApiKeyMiddleware.Header} header",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(nameof(ProblemDetails), document) },
                },
            };
        }
    }
}
