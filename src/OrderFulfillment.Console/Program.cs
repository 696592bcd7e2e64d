using OrderFulfillment.Console.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.AddConsoleDefaults("http://localhost:5300");
builder.AddOperatorAccess();
builder.AddOperations();
builder.AddFleetMetrics();
builder.AddReconciliation();
builder.Services.AddRazorPages(pages => pages.Conventions.AuthorizeFolder("/").AllowAnonymousToPage("/Login"))
    .AddMvcOptions(mvc =>
    {
        mvc.Filters.Add<UnboundParameterFilter>();
        mvc.Filters.Add<RefusedFormFilter>();
    });

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseParameterChecks();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.MapHealthChecks("/health/live").AllowAnonymous();
app.MapHealthChecks("/health/ready").AllowAnonymous();
app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
app.MapRazorPages();

await app.RunAsync();

/// <summary>The entry point, visible to tests.</summary>
public partial class Program;
