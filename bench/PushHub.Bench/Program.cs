// PushHub load generator. Every scenario sends traffic only to the loopback server it is given (PushHub, or
// nginx+Nchan with --target nchan), is bounded in count and time, and stops by itself. Each prints its figures,
// and "result <figure>=<value>" lines that bench/compare-nchan.sh puts into its table. How to run: bench/README.md.
using PushHub.Bench;

var rest = args.Length > 0 ? args[1..] : [];
return args.FirstOrDefault() switch
{
    "sse" or "ws" => await Fanout.RunAsync(args[0], rest),
    "publish" or "batch" => await PublishLoad.RunAsync(args[0], rest),
    "idle" => await IdleMemory.RunAsync(rest),
    "longpoll" => await LongPollWakeup.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: PushHub.Bench <scenario> <url> ... [--target pushhub|nchan]
          sse|ws   <url> <subscribers> <events/s> <seconds> [--sources N]   fan-out: deliveries/s, latency, lost
          idle     <url> <subscribers> [--server-pid P[,P]] [--settle S]     resident memory per idle SSE subscriber
          longpoll <url> <polls> <rounds>                                    wake-up latency of parked long-polls
          publish  --url U [--clients N] [--events N]                        single-event POSTs
          batch    --url U [--clients N] [--events N] [--batch N]            batches
        """);
    return 2;
}
