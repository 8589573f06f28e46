// Micro-benchmarks of PushHub's hot paths. Run: dotnet run -c Release --project bench/PushHub.MicroBench -- --filter '*'
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PushHub.MicroBench.HotPathBenchmarks).Assembly).Run(args);
