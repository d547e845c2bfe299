using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace XSave.Benchmarks;

/// <summary>
/// How the classes measured against C baselines report: one group per category, each with its own
/// baseline (so the Ratio column is "times the C loop"), the category beside each row, and what
/// each case allocates (nothing, on every path).
/// </summary>
public sealed class CategoryBaselineConfig : ManualConfig
{
    public CategoryBaselineConfig()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        AddColumn(CategoriesColumn.Default);
    }
}
