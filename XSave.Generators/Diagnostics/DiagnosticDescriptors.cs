namespace XSave.Generators.Diagnostics;

/// <summary>Every diagnostic the generator reports. Titles state the problem; messages say how to fix it.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "XSave";

    public static readonly DiagnosticDescriptor MethodMustBeStatic = new(
        "XSAVE001", "XSaveThunk method is not static",
        "Method '{0}' is marked [XSaveThunk] but is not static: declare it 'static partial'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MethodMustBePartialDeclaration = new(
        "XSAVE002", "XSaveThunk method is not a partial declaration",
        "Method '{0}' is marked [XSaveThunk] but is not a 'partial' declaration without a body: declare it 'static partial' and let the generator supply the body",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MethodMustNotBeGeneric = new(
        "XSAVE003", "XSaveThunk method is generic",
        "Method '{0}' is generic: machine code cannot depend on type arguments, so remove its type parameters",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor SignatureDoesNotMatchInstruction = new(
        "XSAVE004", "XSaveThunk signature does not match its instruction",
        "Method '{0}' cannot execute {1}: declare it as {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor ContainingTypeMustBePartial = new(
        "XSAVE005", "Type containing an XSaveThunk method is not partial",
        "Type '{0}' contains the [XSaveThunk] method '{1}' but is not partial: add 'partial' to its declaration",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsafeCodeRequired = new(
        "XSAVE006", "XSaveThunk methods need unsafe code",
        "Method '{0}' needs unsafe code for its generated body: set <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownInstruction = new(
        "XSAVE007", "Unknown XSaveInstruction",
        "Method '{0}' asks for instruction value {1}, which this generator does not know: use a named XSaveInstruction member",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor FreestandingFormChosen = new(
        "XSAVE008", "XSaveThunk method gets the freestanding form",
        "Method '{0}' gets the freestanding form: XSaveThunkAttribute comes from the generator (XSAVE_FREESTANDING), not from XSave.Runtime, so its body returns XSaveStatus and runs after XSaveThunks.Install",
        Category, DiagnosticSeverity.Info, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor PrivilegedInstructionNeedsFreestanding = new(
        "XSAVE009", "Privileged instruction outside the freestanding form",
        "Method '{0}' asks for {1}, which only runs at CPL 0 (a kernel or UEFI image): a .NET process runs at CPL 3, where it raises #GP. Use the freestanding form (define XSAVE_FREESTANDING, no reference to XSave.Runtime).",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
