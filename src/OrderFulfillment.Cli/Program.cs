using OrderFulfillment.Cli;

return await OfctlApp.RunAsync(args, Console.Out, Console.Error);
