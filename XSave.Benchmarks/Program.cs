// BenchmarkDotNet entry point: dotnet run -c Release --project XSave.Benchmarks [-- --filter *]
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(XSave.Benchmarks.PairBenchmarks).Assembly).Run(args);
