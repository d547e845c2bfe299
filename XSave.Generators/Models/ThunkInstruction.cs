namespace XSave.Generators.Models;

/// <summary>Mirrors XSave.XSaveInstruction (same values): the generator cannot reference the runtime.</summary>
internal enum ThunkInstruction
{
    XSave,
    XSaveOpt,
    XSaveC,
    XRstor,
    FxSave,
    FxRstor,
    XGetBv,
}
