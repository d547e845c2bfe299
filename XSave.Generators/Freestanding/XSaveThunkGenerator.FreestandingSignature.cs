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

        public static bool TryMatch(IMethodSymbol method, InstructionFacts facts, out AreaPassing passing, out string firstName, out string secondName, out string maskName)
        {
            passing = AreaPassing.None;
            firstName = secondName = maskName = string.Empty;
            var parameters = method.Parameters;
            if (method.ReturnType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) != Status || (facts.Forms & ThunkForms.Freestanding) == 0)
            {
                return false;
            }

            switch (facts.Shape)
            {
                case ThunkShape.NoParameter:
                    return parameters.Length == 0;
                case ThunkShape.ReadControlRegister:
                    if (parameters.Length != 1 || !IsOutUlong(parameters[0]))
                    {
                        return false;
                    }

                    firstName = parameters[0].Name;
                    return true;
                case ThunkShape.ReadXcr or ThunkShape.WriteXcr:
                    bool value = parameters.Length == 2 && (facts.Shape == ThunkShape.ReadXcr
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

            int areas = facts.Shape == ThunkShape.Switch ? 2 : 1;
            if (parameters.Length < areas || parameters.Length > areas + (facts.TakesMask ? 1 : 0))
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

        private static bool IsOutUlong(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.Out && parameter.Type.SpecialType == SpecialType.System_UInt64;

        private static bool IsAreaPointer(IParameterSymbol parameter) =>
            parameter.RefKind == RefKind.None &&
            parameter.Type is IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Void or SpecialType.System_Byte };
    }
}
