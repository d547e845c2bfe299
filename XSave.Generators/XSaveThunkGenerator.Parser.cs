using System.Threading;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using XSave.Generators.Diagnostics;

namespace XSave.Generators;

public sealed partial class XSaveThunkGenerator
{
    /// <summary>Stage 1: an attributed method symbol becomes a <see cref="ThunkModel"/> or diagnostics. Never throws on broken code.</summary>
    internal static class Parser
    {
        private const string XSaveArea = "global::XSave.XSaveArea";

        // A thunk's label in listings: type, method and parameter types, so overloads stay apart.
        private static readonly SymbolDisplayFormat LabelFormat = new(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            memberOptions: SymbolDisplayMemberOptions.IncludeContainingType | SymbolDisplayMemberOptions.IncludeParameters,
            parameterOptions: SymbolDisplayParameterOptions.IncludeType | SymbolDisplayParameterOptions.IncludeParamsRefOut,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);
        private const string LegacyRegion = "global::XSave.LegacyRegion";
        private const string RuntimeAssembly = "XSave";

        public static ParseResult Run(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not IMethodSymbol method || context.TargetNode is not MethodDeclarationSyntax syntax)
            {
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            List<DiagnosticInfo> diagnostics = [];
            Location location = syntax.Identifier.GetLocation();
            string name = method.Name;

            AttributeData attribute = context.Attributes[0];
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not int instructionValue)
            {
                // The attribute itself does not compile; the compiler reports that.
                return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            bool freestanding = attribute.AttributeClass?.Locations.Any(static l => l.SourceTree?.FilePath.EndsWith(FreestandingTypes.HintName, System.StringComparison.Ordinal) == true) == true;

            // By the member's name, not its number: the XSave the user compiles against and the
            // generator's copy of the enum could come from different builds.
            string? member = attribute.ConstructorArguments[0].Type?.GetMembers().OfType<IFieldSymbol>()
                .FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, instructionValue))?.Name;
            // XSave.Runtime lists no privileged instruction, so in the runtime form only a cast of
            // one's number gets here: said as XSAVE009, which tells where it can run.
            if (member is null && !freestanding && System.Enum.IsDefined(typeof(XSaveInstruction), instructionValue) && Signature.IsPrivileged((XSaveInstruction)instructionValue))
            {
                member = ((XSaveInstruction)instructionValue).ToString();
            }

            // The runtime's own routines, likewise cast, exist for XSave.Runtime alone.
            if (member is null && !freestanding && IsRuntimeRoutine((XSaveInstruction)instructionValue) && context.SemanticModel.Compilation.AssemblyName == RuntimeAssembly)
            {
                member = ((XSaveInstruction)instructionValue).ToString();
            }

            if (member is null || !System.Enum.TryParse(member, out XSaveInstruction instruction) || !System.Enum.IsDefined(typeof(XSaveInstruction), instruction))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownInstruction, location, name, instructionValue.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                return new ParseResult(null, diagnostics.ToEquatableArray(), Stub(syntax, method, context, "XSAVE007", freestanding));
            }

            if (!method.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodMustBeStatic, location, name));
            }

            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword) || syntax.Body is not null || syntax.ExpressionBody is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodMustBePartialDeclaration, location, name));
            }

            if (method.IsGenericMethod)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodMustNotBeGeneric, location, name));
            }

            foreach (TypeDeclarationSyntax type in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
            {
                if (!type.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeMustBePartial, type.Identifier.GetLocation(), type.Identifier.Text, name));
                }
            }

            // The form follows the attribute: XSave.Runtime's, or the generator's own (XSAVE_FREESTANDING).
            AreaPassing passing = AreaPassing.None;
            string firstName = string.Empty, secondName = string.Empty, maskName = string.Empty;
            if (!freestanding && Signature.IsPrivileged(instruction))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PrivilegedInstructionNeedsFreestanding, location, name, Signature.InstructionText(instruction)));
            }
            else if (!(freestanding
                ? FreestandingSignature.TryMatch(method, instruction, out passing, out firstName, out secondName, out maskName)
                : Signature.TryMatch(method, instruction, out passing, out firstName, out secondName, out maskName)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SignatureDoesNotMatchInstruction, location, name, Signature.InstructionText(instruction),
                    freestanding ? FreestandingSignature.Expected(instruction) : Signature.Expected(instruction)));
            }

            if (context.SemanticModel.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: false })
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsafeCodeRequired, location, name));
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (diagnostics.Count > 0)
            {
                return new ParseResult(null, diagnostics.ToEquatableArray(), Stub(syntax, method, context, diagnostics[0].Descriptor.Id, freestanding));
            }

            bool isUnchecked = attribute.NamedArguments.Any(a => a.Key == "Unchecked" && a.Value.Value is true);
            ThunkModel model = new(
                Hierarchy(syntax, method),
                string.Join(" ", syntax.Modifiers.Select(m => m.Text)),
                freestanding ? FreestandingSignature.Status : method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                name,
                method.ToDisplayString(LabelFormat),
                method.Parameters.Select(ParameterText).ToEquatableArray(),
                ParameterNames.Of(instruction, firstName, secondName, maskName),
                instruction,
                passing,
                isUnchecked,
                freestanding);
            return new ParseResult(model, freestanding
                ? new EquatableArray<DiagnosticInfo>([DiagnosticInfo.Create(DiagnosticDescriptors.FreestandingFormChosen, location, name)])
                : EquatableArray<DiagnosticInfo>.Empty);
        }

        /// <summary>
        /// A throwing body for a refused partial declaration that must have one, where one can
        /// compile: every containing type partial, no body yet, and either unsafe code allowed
        /// (the re-opened types are unsafe) or a signature without pointers (they are re-opened
        /// without 'unsafe', so a project without AllowUnsafeBlocks sees XSAVE006 alone).
        /// </summary>
        private static StubModel? Stub(MethodDeclarationSyntax syntax, IMethodSymbol method, GeneratorAttributeSyntaxContext context, string reason, bool freestanding)
        {
            // Only a declaration with an accessibility modifier must be implemented (CS8795); one
            // without it may not return a value, and would error again in the stub (CS8796).
            bool accessible = syntax.Modifiers.Any(m => m.IsKind(SyntaxKind.PublicKeyword) || m.IsKind(SyntaxKind.InternalKeyword) || m.IsKind(SyntaxKind.PrivateKeyword) || m.IsKind(SyntaxKind.ProtectedKeyword));
            bool canTakeBody = accessible && syntax.Modifiers.Any(SyntaxKind.PartialKeyword) && syntax.Body is null && syntax.ExpressionBody is null &&
                !method.ReturnsByRef && !method.ReturnsByRefReadonly &&
                syntax.Ancestors().OfType<TypeDeclarationSyntax>().All(t => t.Modifiers.Any(SyntaxKind.PartialKeyword));
            bool unsafeAllowed = context.SemanticModel.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
            if (!canTakeBody || (!unsafeAllowed && HasPointers(method)))
            {
                return null;
            }

            string declaration = $"{string.Join(" ", syntax.Modifiers.Select(m => m.Text))} {method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)} " +
                $"{syntax.Identifier.Text}{syntax.TypeParameterList}({string.Join(", ", method.Parameters.Select(ParameterText))}) {string.Join(" ", syntax.ConstraintClauses.Select(c => c.ToString()))}";
            return new StubModel(Hierarchy(syntax, method, reopenUnsafe: unsafeAllowed), declaration.TrimEnd(), reason, freestanding);
        }

        private static bool HasPointers(IMethodSymbol method) =>
            method.ReturnType.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer ||
            method.Parameters.Any(p => p.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer);

        private static HierarchyInfo Hierarchy(MethodDeclarationSyntax syntax, IMethodSymbol method, bool reopenUnsafe = true)
        {
            string ns = method.ContainingNamespace is { IsGlobalNamespace: false } containing
                ? containing.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty)
                : string.Empty;
            string[] types = syntax.Ancestors().OfType<TypeDeclarationSyntax>().Reverse().Select(type => TypeHeader(type, reopenUnsafe)).ToArray();
            return new HierarchyInfo(ns, new EquatableArray<string>(types));
        }

        private static string TypeHeader(TypeDeclarationSyntax type, bool reopenUnsafe)
        {
            // 'ref' (and 'readonly') must be repeated on every part of a partial struct.
            IEnumerable<string> kept = type.Modifiers
                .Where(m => m.IsKind(SyntaxKind.RefKeyword) || m.IsKind(SyntaxKind.ReadOnlyKeyword))
                .Select(m => m.Text + " ");
            string keyword = type is RecordDeclarationSyntax record && !record.ClassOrStructKeyword.IsKind(SyntaxKind.None)
                ? $"record {record.ClassOrStructKeyword.Text}"
                : type.Keyword.Text;
            // 'unsafe' on this part only: it lets the generated members use pointers. 'ref' must stay next to 'partial'.
            return $"{(reopenUnsafe ? "unsafe " : string.Empty)}{string.Concat(kept)}partial {keyword} {type.Identifier.Text}{type.TypeParameterList}";
        }

        private static string ParameterText(IParameterSymbol parameter)
        {
            string refKind = parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.In => "in ",
                RefKind.Out => "out ",
                RefKind.RefReadOnlyParameter => "ref readonly ",
                _ => string.Empty,
            };
            string identifier = SyntaxFacts.GetKeywordKind(parameter.Name) != SyntaxKind.None ? "@" + parameter.Name : parameter.Name;
            return $"{refKind}{parameter.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)} {identifier}";
        }

        /// <summary>Routines only XSave.Runtime declares (its private copies), not instructions a user asks for.</summary>
        public static bool IsRuntimeRoutine(XSaveInstruction instruction) =>
            instruction is XSaveInstruction.CopyRuns or XSaveInstruction.CopyRunsAvx or XSaveInstruction.CheckedRestore or XSaveInstruction.CheckedRestoreAvx
                or XSaveInstruction.SaveBounced or XSaveInstruction.SaveBouncedAvx or XSaveInstruction.XSaveOptXRstor or XSaveInstruction.PreparedSave;

        /// <summary>The signatures each instruction accepts.</summary>
        private static class Signature
        {
            public static bool TryMatch(IMethodSymbol method, XSaveInstruction instruction, out AreaPassing passing, out string firstName, out string secondName, out string maskName)
            {
                passing = AreaPassing.None;
                firstName = method.Parameters.Length > 0 ? method.Parameters[0].Name : string.Empty;
                secondName = string.Empty;
                maskName = string.Empty;
                var parameters = method.Parameters;
                if (instruction is XSaveInstruction.XSaveOptXRstor or XSaveInstruction.PreparedSave)
                {
                    // Two pointers: (XSaveArea* save, XSaveArea* restore), as the switch instructions without a mask, or (XSaveArea* area, RestorePlan* plan).
                    return method.ReturnsVoid && parameters.Length == 2 && parameters.All(p => p.RefKind == RefKind.None && p.Type.TypeKind == TypeKind.Pointer);
                }

                if (IsRuntimeRoutine(instruction))
                {
                    // Three pointers, then the components for a run copy; a checked restore returns its status.
                    bool copies = instruction is XSaveInstruction.CopyRuns or XSaveInstruction.CopyRunsAvx;
                    bool returnsStatus = instruction is XSaveInstruction.CheckedRestore or XSaveInstruction.CheckedRestoreAvx;
                    return (returnsStatus ? method.ReturnType.SpecialType == SpecialType.System_Int32 : method.ReturnsVoid)
                        && parameters.Length == (copies ? 4 : 3)
                        && parameters.Take(3).All(p => p.RefKind == RefKind.None && p.Type.TypeKind == TypeKind.Pointer)
                        && (!copies || (parameters[3].RefKind == RefKind.None && parameters[3].Type.SpecialType == SpecialType.System_UInt64));
                }

                if (instruction == XSaveInstruction.XGetBv)
                {
                    return method.ReturnType.SpecialType == SpecialType.System_UInt64
                        && parameters.Length == 1
                        && parameters[0].RefKind == RefKind.None
                        && parameters[0].Type.SpecialType == SpecialType.System_UInt32;
                }

                if (ControlWord.Of(instruction) is { } word)
                {
                    // A read returns the word; a write takes it by value.
                    return ControlWord.IsRead(instruction)
                        ? parameters.Length == 0 && word.Accepts(method.ReturnType)
                        : method.ReturnsVoid && parameters.Length == 1 && parameters[0].RefKind == RefKind.None && word.Accepts(parameters[0].Type);
                }

                if (!method.ReturnsVoid || parameters.Length == 0)
                {
                    return false;
                }

                // Two areas, as pointers only: a switch's areas are long-lived and pinned (a
                // scheduler's contexts, AlignedXSaveArea), so nothing needs pinning per call.
                int areas = 1;
                if (instruction is XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor)
                {
                    if (parameters.Length < 2 || !TryArea(parameters[1], XSaveArea, isRestore: true, out AreaPassing second) || second != AreaPassing.Pointer)
                    {
                        return false;
                    }

                    secondName = parameters[1].Name;
                    areas = 2;
                }

                bool isFx = instruction is XSaveInstruction.FxSave or XSaveInstruction.FxRstor;
                bool isRestore = instruction is XSaveInstruction.XRstor or XSaveInstruction.FxRstor;
                string areaType = isFx ? LegacyRegion : XSaveArea;
                if (!TryArea(parameters[0], areaType, isRestore, out passing) || (areas == 2 && passing != AreaPassing.Pointer))
                {
                    return false;
                }

                if (parameters.Length == areas)
                {
                    return true;
                }

                // The mask: a ulong, or the XFeatures set it stands for.
                IParameterSymbol mask = parameters[areas];
                bool maskType = parameters.Length == areas + 1 && (mask.Type.SpecialType == SpecialType.System_UInt64 || IsType(mask.Type, "global::XSave.XFeatures"));
                if (isFx || !maskType || mask.RefKind != RefKind.None)
                {
                    return false;
                }

                maskName = mask.Name;
                return true;
            }

            private static bool TryArea(IParameterSymbol parameter, string areaType, bool isRestore, out AreaPassing passing)
            {
                passing = AreaPassing.None;
                if (parameter.RefKind == RefKind.None && parameter.Type is IPointerTypeSymbol pointer && IsType(pointer.PointedAtType, areaType))
                {
                    passing = AreaPassing.Pointer;
                }
                else if (parameter.RefKind == RefKind.Ref && IsType(parameter.Type, areaType))
                {
                    passing = AreaPassing.Ref;
                }
                else if (isRestore && parameter.RefKind is RefKind.In or RefKind.RefReadOnlyParameter && IsType(parameter.Type, areaType))
                {
                    passing = AreaPassing.In;
                }

                return passing != AreaPassing.None;
            }

            private static bool IsType(ITypeSymbol type, string fullName) =>
                type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) == fullName;

            public static string InstructionText(XSaveInstruction instruction) => instruction switch
            {
                XSaveInstruction.XGetBv => "XGETBV",
                XSaveInstruction.FxSave => "FXSAVE64",
                XSaveInstruction.FxRstor => "FXRSTOR64",
                XSaveInstruction.XSaveXRstor => "XSAVE64 then XRSTOR64",
                XSaveInstruction.XSaveCXRstor => "XSAVEC64 then XRSTOR64",
                XSaveInstruction.XSetBv => "XSETBV",
                XSaveInstruction.ReadCr4 => "MOV from CR4",
                XSaveInstruction.EnableOsXSave => "MOV to CR4 (setting OSXSAVE)",
                XSaveInstruction.StMxcsr or XSaveInstruction.LdMxcsr or XSaveInstruction.FnStCw or XSaveInstruction.FldCw => instruction.ToString().ToUpperInvariant(),
                XSaveInstruction.CopyRuns or XSaveInstruction.CopyRunsAvx => "the runtime's run copy",
                XSaveInstruction.CheckedRestore or XSaveInstruction.CheckedRestoreAvx => "the runtime's checked restore",
                XSaveInstruction.SaveBounced or XSaveInstruction.SaveBouncedAvx => "the runtime's bounced save",
                XSaveInstruction.XSaveOptXRstor => "XSAVEOPT64 then XRSTOR64",
                XSaveInstruction.PreparedSave => "the runtime's prepared save",
                _ => instruction.ToString().ToUpperInvariant() + "64",
            };

            /// <summary>Instructions that raise #GP below CPL 0.</summary>
            public static bool IsPrivileged(XSaveInstruction instruction) =>
                instruction is XSaveInstruction.XSetBv or XSaveInstruction.ReadCr4 or XSaveInstruction.EnableOsXSave;

            public static string Expected(XSaveInstruction instruction) => instruction switch
            {
                XSaveInstruction.XGetBv => "'static partial ulong M(uint register)'",
                XSaveInstruction.CopyRuns or XSaveInstruction.CopyRunsAvx => "'static partial void M(byte* from, byte* to, CopyRun* runs, ulong components)'",
                XSaveInstruction.CheckedRestore or XSaveInstruction.CheckedRestoreAvx => "'static partial int M(XSaveArea* area, XSaveArea* scratch, RestorePlan* plan)'",
                XSaveInstruction.SaveBounced or XSaveInstruction.SaveBouncedAvx => "'static partial void M(XSaveArea* area, XSaveArea* scratch, RestorePlan* plan)'",
                XSaveInstruction.XSaveOptXRstor => "'static partial void M(XSaveArea* save, XSaveArea* restore)'",
                XSaveInstruction.PreparedSave => "'static partial void M(XSaveArea* area, RestorePlan* plan)'",
                XSaveInstruction.StMxcsr => "'static partial uint M()' or 'static partial Mxcsr M()'",
                XSaveInstruction.LdMxcsr => "'static partial void M(uint value)' or 'static partial void M(Mxcsr value)'",
                XSaveInstruction.FnStCw => "'static partial ushort M()' or 'static partial X87ControlWord M()'",
                XSaveInstruction.FldCw => "'static partial void M(ushort value)' or 'static partial void M(X87ControlWord value)'",
                XSaveInstruction.FxSave => "'static partial void M(LegacyRegion* region)' or 'static partial void M(ref LegacyRegion region)'",
                XSaveInstruction.FxRstor => "'static partial void M(LegacyRegion* region)', or with 'ref' or 'in LegacyRegion region'",
                XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor => "'static partial void M(XSaveArea* save, XSaveArea* restore)', optionally followed by 'ulong mask' or 'XFeatures mask'",
                XSaveInstruction.XRstor => "'static partial void M(XSaveArea* area)', or with 'ref' or 'in XSaveArea area', optionally followed by 'ulong mask' or 'XFeatures mask'",
                _ => "'static partial void M(XSaveArea* area)' or 'static partial void M(ref XSaveArea area)', optionally followed by 'ulong mask' or 'XFeatures mask'",
            };
        }
    }
}
