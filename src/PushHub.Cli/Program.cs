using PushHub.Cli;

return await PushHubCli.RunAsync(args, CliContext.ForProcess());
