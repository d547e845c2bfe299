using Microsoft.CodeAnalysis.CSharp.Syntax;
using XSave.Generators.Diagnostics;

namespace XSave.Generators;

/// <summary>
/// Supplies the bodies of <c>static partial</c> methods marked <c>[XSaveThunk]</c>: parse the
/// method into a model, assemble its machine code with Iced, emit one file with every thunk
/// and the executable page that holds them.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class XSaveThunkGenerator : IIncrementalGenerator
{
    /// <summary>Names of the tracked pipeline steps, shared with the incrementality tests.</summary>
    public static class StepNames
    {
        public const string Parse = nameof(Parse);
        public const string Diagnostics = nameof(Diagnostics);
        public const string Assemble = nameof(Assemble);
        public const string Collect = nameof(Collect);
        public const string AssemblyName = nameof(AssemblyName);
        public const string CoreLibrary = nameof(CoreLibrary);
    }

    private const string AttributeName = "XSave.XSaveThunkAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Inert unless the project defines XSAVE_FREESTANDING.
        context.RegisterPostInitializationOutput(static output => output.AddSource(FreestandingTypes.HintName, FreestandingTypes.Source()));

        IncrementalValuesProvider<ParseResult> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                AttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, token) => Parser.Run(context, token))
            .WithTrackingName(StepNames.Parse);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = parsed
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (output, items) =>
        {
            foreach (DiagnosticInfo item in items)
            {
                output.ReportDiagnostic(item.ToDiagnostic());
            }
        });

        // Refused methods get a throwing body, so their XSAVE00x error is not followed by CS8795.
        IncrementalValueProvider<ImmutableArray<StubModel>> stubs = parsed
            .Where(static result => result.Stub is not null)
            .Select(static (result, _) => result.Stub!)
            .Collect();
        context.RegisterSourceOutput(stubs, static (output, items) =>
        {
            if (!items.IsEmpty)
            {
                output.AddSource(Emitter.StubHintName, Emitter.Stubs(items));
            }
        });

        IncrementalValueProvider<ImmutableArray<AssembledThunk>> assembled = parsed
            .Where(static result => result.Thunk is not null)
            .Select(static (result, _) => CodeAssembler.Run(result.Thunk!))
            .WithTrackingName(StepNames.Assemble)
            .Collect()
            .WithTrackingName(StepNames.Collect);
        IncrementalValueProvider<string> assemblyName = context.CompilationProvider
            .Select(static (compilation, _) => compilation.AssemblyName ?? string.Empty)
            .WithTrackingName(StepNames.AssemblyName);
        context.RegisterSourceOutput(assembled.Combine(assemblyName), static (output, input) =>
        {
            ImmutableArray<AssembledThunk> runtime = input.Left.Where(static t => !t.Thunk.IsFreestanding).ToImmutableArray();
            if (!runtime.IsEmpty)
            {
                output.AddSource(Emitter.HintName, Emitter.Run(runtime, input.Right));
            }
        });

        // A core library with CallConvSuppressGCTransition lets the freestanding calls skip the
        // transition helpers; a minimal one without it gets plain unmanaged calls.
        IncrementalValueProvider<bool> suppressGCTransition = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.CallConvSuppressGCTransition") is not null)
            .WithTrackingName(StepNames.CoreLibrary);
        context.RegisterSourceOutput(assembled.Combine(suppressGCTransition), static (output, input) =>
        {
            ImmutableArray<AssembledThunk> freestanding = input.Left.Where(static t => t.Thunk.IsFreestanding).ToImmutableArray();
            if (!freestanding.IsEmpty)
            {
                output.AddSource(FreestandingEmitter.HintName, FreestandingEmitter.Run(freestanding, input.Right));
                foreach (var (hintName, resource) in FreestandingEmitter.Templates)
                {
                    output.AddSource(hintName, FreestandingEmitter.Template(resource));
                }
            }
        });
    }
}
