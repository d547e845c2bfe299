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
            if (member is null && !freestanding && System.Enum.IsDefined(typeof(XSaveInstruction), instructionValue) && InstructionTable.Of((XSaveInstruction)instructionValue).IsPrivileged)
            {
                member = ((XSaveInstruction)instructionValue).ToString();
            }

            // The runtime's own routines, likewise cast, exist for XSave.Runtime alone.
            if (member is null && !freestanding && System.Enum.IsDefined(typeof(XSaveInstruction), instructionValue) && InstructionTable.Of((XSaveInstruction)instructionValue).IsRuntimeRoutine && context.SemanticModel.Compilation.AssemblyName == RuntimeAssembly)
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
            InstructionFacts facts = InstructionTable.Of(instruction);
            if (!freestanding && facts.IsPrivileged)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PrivilegedInstructionNeedsFreestanding, location, name, facts.Text));
            }
            else if (!(freestanding
                ? FreestandingSignature.TryMatch(method, facts, out passing, out firstName, out secondName, out maskName)
                : Signature.TryMatch(method, facts, out passing, out firstName, out secondName, out maskName)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SignatureDoesNotMatchInstruction, location, name, facts.Text,
                    freestanding ? facts.FreestandingSignature : facts.RuntimeSignature));
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
                ParameterNames.Of(facts.Shape, firstName, secondName, maskName),
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

        /// <summary>The signatures of the runtime form, by the instruction's shape.</summary>
        private static class Signature
        {
            public static bool TryMatch(IMethodSymbol method, InstructionFacts facts, out AreaPassing passing, out string firstName, out string secondName, out string maskName)
            {
                passing = AreaPassing.None;
                firstName = method.Parameters.Length > 0 ? method.Parameters[0].Name : string.Empty;
                secondName = string.Empty;
                maskName = string.Empty;
                var parameters = method.Parameters;
                switch (facts.Shape)
                {
                    case ThunkShape.Routine:
                        // Pointers, then the components for a run copy; a checked restore returns what it declined.
                        int count = facts.Pointers + (facts.TakesComponents ? 1 : 0);
                        return (facts.ReturnsDeclined ? method.ReturnType is IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Void } : method.ReturnsVoid)
                            && parameters.Length == count
                            && parameters.Take(facts.Pointers).All(p => p.RefKind == RefKind.None && p.Type.TypeKind == TypeKind.Pointer)
                            && (!facts.TakesComponents || (parameters[count - 1].RefKind == RefKind.None && parameters[count - 1].Type.SpecialType == SpecialType.System_UInt64));
                    case ThunkShape.ReadXcr:
                        return method.ReturnType.SpecialType == SpecialType.System_UInt64
                            && parameters.Length == 1
                            && parameters[0].RefKind == RefKind.None
                            && parameters[0].Type.SpecialType == SpecialType.System_UInt32;
                    case ThunkShape.ReadControlWord:
                        return parameters.Length == 0 && ControlWord.Of(facts.Word).Accepts(method.ReturnType);
                    case ThunkShape.WriteControlWord:
                        return method.ReturnsVoid && parameters.Length == 1 && parameters[0].RefKind == RefKind.None && ControlWord.Of(facts.Word).Accepts(parameters[0].Type);
                    case ThunkShape.Area or ThunkShape.Switch or ThunkShape.LegacyRegion:
                        break;
                    default:
                        return false; // the freestanding form's alone
                }

                if (!method.ReturnsVoid || parameters.Length == 0)
                {
                    return false;
                }

                // Two areas, as pointers only: a switch's areas are long-lived and pinned (a
                // scheduler's contexts, AlignedXSaveArea), so nothing needs pinning per call.
                int areas = 1;
                if (facts.Shape == ThunkShape.Switch)
                {
                    if (parameters.Length < 2 || !TryArea(parameters[1], XSaveArea, isRestore: true, out AreaPassing second) || second != AreaPassing.Pointer)
                    {
                        return false;
                    }

                    secondName = parameters[1].Name;
                    areas = 2;
                }

                bool isRestore = facts.Access == AreaAccess.Restores;
                string areaType = facts.Shape == ThunkShape.LegacyRegion ? LegacyRegion : XSaveArea;
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
                if (!facts.TakesMask || !maskType || mask.RefKind != RefKind.None)
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
        }
    }
}
