// PushHub load generator. Every scenario sends traffic only to the loopback server it is given (PushHub, several
// PushHub nodes of one cluster as a comma-separated URL list, nginx+Nchan with --target nchan, or the bare Kestrel
// endpoint with --target bare), is bounded in count and time, and stops by
// itself. Each prints its figures, and "result <figure>=<value>" lines that bench/compare-nchan.sh collects and
// turns into its table with the report command. How to run: bench/README.md.
using PushHub.Bench;

var rest = args.Length > 0 ? args[1..] : [];
return args.FirstOrDefault() switch
{
    "sse" or "ws" => await Fanout.RunAsync(args[0], rest),
    "steady" => await Steady.RunAsync(rest),
    "publish" or "batch" or "poll" => await PublishLoad.RunAsync(args[0], rest),
    "idle" => await IdleMemory.RunAsync(rest),
    "longpoll" => await LongPollWakeup.RunAsync(rest),
    "webhooks" => await WebhookLoad.RunAsync(rest),
    "slack" => await SlackLoad.RunAsync(rest),
    "report" => Report.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: PushHub.Bench <scenario> <url> ... [--target pushhub|cluster|nchan|bare]
          <url> may list a PushHub cluster's nodes, comma-separated (http://127.0.0.1:5391,http://127.0.0.1:5392,...):
          publishers go round-robin over them, subscribers and polls are spread evenly, counts are over all of them
          sse|ws   <url> <subscribers> <events/s> <seconds> [--sources N]   fan-out: deliveries/s, latency, lost
          steady   <url> <subscribers> <tasks> <events/s> <seconds>         light load over many tasks: latency, outliers
                   [--warmup-seconds W] [--webhook on]
          idle     <url> <subscribers> [--server-pid P[,P]] [--settle S]     resident memory per idle SSE subscriber
                   [--redis-pid P]                                          (a cluster's Redis, reported on its own rows)
          longpoll <url> <polls> <rounds>                                    wake-up latency of parked long-polls
          publish  --url U [--clients N] [--events N]                        single-event POSTs (also --target bare)
          batch    --url U [--clients N] [--events N] [--batch N]            batches (also --target bare)
          poll     --url U [--clients N] [--events N]                        GET /events pages of ten events (PushHub)
          webhooks <url> <events> [--batch N] [--warmup-events N]            signed deliveries/s to a local receiver (node)
          slack    <url> <webhooks> <events>                                 Slack-format deliveries/s to a local Slack fake
          report   <rows.tsv>                                                the comparison table from collected results
        """);
    return 2;
}
