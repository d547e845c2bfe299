namespace XSave.Generators;

public sealed partial class XSaveThunkGenerator
{
    /// <summary>
    /// The signatures of the freestanding form: raw pointers and primitives only (a minimal core
    /// library has no XSaveArea, Span or exceptions), and an <c>XSaveStatus</c> result in place of
    /// the runtime form's exceptions.
    /// </summary>
    internal static class FreestandingSignature
    {
        public const string Status = "global::XSave.XSaveStatus";

        public static bool TryMatch(IMethodSymbol method, XSaveInstruction instruction, out AreaPassing passing, out string firstName, out string secondName, out string maskName)
        {
            passing = AreaPassing.None;
            firstName = secondName = maskName = string.Empty;
            var parameters = method.Parameters;
            if (method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) != Status)
            {
                return false;
            }

            switch (instruction)
            {
                case XSaveInstruction.StMxcsr or XSaveInstruction.LdMxcsr or XSaveInstruction.FnStCw or XSaveInstruction.FldCw:
                    return false; // the runtime form's only
                case XSaveInstruction.EnableOsXSave:
                    return parameters.Length == 0;
                case XSaveInstruction.ReadCr4:
                    if (parameters.Length != 1 || !IsOutUlong(parameters[0]))
                    {
                        return false;
                    }

                    firstName = parameters[0].Name;
                    return true;
                case XSaveInstruction.XGetBv or XSaveInstruction.XSetBv:
                    bool value = parameters.Length == 2 && (instruction == XSaveInstruction.XGetBv
                        ? IsOutUlong(parameters[1])
                        : parameters[1].RefKind == RefKind.None && parameters[1].Type.SpecialType == SpecialType.System_UInt64);
                    if (!value || parameters[0].RefKind != RefKind.None || parameters[0].Type.SpecialType != SpecialType.System_UInt32)
                    {
                        return false;
                    }

                    firstName = parameters[0].Name;
                    secondName = parameters[1].Name;
                    return true;
            }

            int areas = instruction is XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor ? 2 : 1;
            bool isFx = instruction is XSaveInstruction.FxSave or XSaveInstruction.FxRstor;
            if (parameters.Length < areas || parameters.Length > areas + (isFx ? 0 : 1))
            {
                return false;
            }

            for (int i = 0; i < areas; i++)
            {
                if (!IsAreaPointer(parameters[i]))
                {
                    return false;
                }
            }

            firstName = parameters[0].Name;
            secondName = areas == 2 ? parameters[1].Name : string.Empty;
            passing = AreaPassing.Pointer;
            if (parameters.Length == areas)
            {
                return true;
            }

            IParameterSymbol mask = parameters[areas];
            maskName = mask.Name;
            return mask.RefKind == RefKind.None && mask.Type.SpecialType == SpecialType.System_UInt64;
        }

        public static string Expected(XSaveInstruction instruction) => instruction switch
        {
            XSaveInstruction.XGetBv => "'static partial XSaveStatus M(uint register, out ulong value)'",
            XSaveInstruction.XSetBv => "'static partial XSaveStatus M(uint register, ulong value)'",
            XSaveInstruction.ReadCr4 => "'static partial XSaveStatus M(out ulong value)'",
            XSaveInstruction.EnableOsXSave => "'static partial XSaveStatus M()'",
            XSaveInstruction.StMxcsr or XSaveInstruction.LdMxcsr or XSaveInstruction.FnStCw or XSaveInstruction.FldCw => "a method of a project that references XSave.Runtime (the control-word thunks have no freestanding form)",
            XSaveInstruction.FxSave or XSaveInstruction.FxRstor => "'static partial XSaveStatus M(void* region)' (or byte*)",
            XSaveInstruction.XSaveXRstor or XSaveInstruction.XSaveCXRstor => "'static partial XSaveStatus M(void* save, void* restore)' (or byte*), optionally followed by 'ulong mask'",
            _ => "'static partial XSaveStatus M(void* area)' (or byte*), optionally followed by 'ulong mask'",
        };

        private static bool IsOutUlong(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.Out && parameter.Type.SpecialType == SpecialType.System_UInt64;

        private static bool IsAreaPointer(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.None &&
            parameter.Type is IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Void or SpecialType.System_Byte };
    }
}
