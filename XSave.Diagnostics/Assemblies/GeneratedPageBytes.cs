using System;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace XSave.Diagnostics;

/// <summary>
/// The machine code a generated page carries, found as the C# compiler stores it: the property
/// <c>ReadOnlySpan&lt;byte&gt; SystemV =&gt; new byte[N] { … }</c> compiles to a getter whose IL is
/// <c>ldsflda</c> of a static field with an RVA (the bytes, in the PE image), <c>ldc.i4 N</c>,
/// <c>newobj ReadOnlySpan&lt;byte&gt;(void*, int)</c>, <c>ret</c>.
/// </summary>
internal static class GeneratedPageBytes
{
    private const byte Ldsflda = 0x7F, LdcI4 = 0x20, LdcI4S = 0x1F, Newobj = 0x73, Ret = 0x2A;

    /// <summary>The bytes, or null when the getter does not have that shape.</summary>
    public static byte[]? Read(PEReader pe, MetadataReader metadata, TypeDefinition type, string getter)
    {
        foreach (MethodDefinitionHandle handle in type.GetMethods())
        {
            MethodDefinition method = metadata.GetMethodDefinition(handle);
            if (metadata.GetString(method.Name) != getter || method.RelativeVirtualAddress == 0)
            {
                continue;
            }

            byte[] il = pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes() ?? [];
            int field = 0, length = -1;
            for (int i = 0; i < il.Length;)
            {
                switch (il[i])
                {
                    case Ldsflda when i + 5 <= il.Length:
                        field = BitConverter.ToInt32(il, i + 1);
                        i += 5;
                        break;
                    case LdcI4 when i + 5 <= il.Length:
                        length = BitConverter.ToInt32(il, i + 1);
                        i += 5;
                        break;
                    case LdcI4S when i + 2 <= il.Length:
                        length = (sbyte)il[i + 1];
                        i += 2;
                        break;
                    case Newobj when i + 5 <= il.Length:
                        i += 5;
                        break;
                    case Ret:
                        i++;
                        break;
                    default:
                        return null;
                }
            }

            if (field == 0 || length <= 0 || MetadataTokens.EntityHandle(field) is not { Kind: HandleKind.FieldDefinition } entity)
            {
                return null;
            }

            int rva = metadata.GetFieldDefinition((FieldDefinitionHandle)entity).GetRelativeVirtualAddress();
            PEMemoryBlock data = pe.GetSectionData(rva);
            return rva == 0 || data.Length < length ? null : [.. data.GetContent(0, length)];
        }

        return null;
    }
}
