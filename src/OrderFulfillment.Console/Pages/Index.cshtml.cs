using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace OrderFulfillment.Console.Pages;

/// <summary>The console opens on what needs an operator: the failed messages.</summary>
public sealed class IndexModel : PageModel
{
    public IActionResult OnGet() => RedirectToPage("/Failed/Index");
}
