// PushHub load generator. Every scenario sends traffic only to the loopback hub it is given, is bounded in
// count and time, and stops by itself. Results and how to run each scenario: bench/README.md.
using PushHub.Bench;

return args.FirstOrDefault() switch
{
    "sse" => await SseFanout.RunAsync(args[1..]),
    "publish" or "batch" => await PublishLoad.RunAsync(args),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: PushHub.Bench publish|batch [--url U] [--clients N] [--events N] [--batch N]");
    Console.Error.WriteLine("       PushHub.Bench sse <hub url> <subscribers> <events/s> <seconds> [--target pushhub|nchan]");
    return 2;
}
