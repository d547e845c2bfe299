using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace XSave.Diagnostics;

/// <summary>
/// The [XSaveThunk] page an application assembly carries, read from its metadata (nothing is
/// loaded or run, so any assembly on any CPU): the machine code the generator assembled for one
/// calling convention, and the listing it stored beside it.
/// </summary>
public sealed class AssemblyThunkPage
{
    private AssemblyThunkPage(string assemblyName, bool windows, byte[] code, string listing)
    {
        AssemblyName = assemblyName;
        IsWindowsConvention = windows;
        Code = code;
        Listing = listing;
    }

    /// <summary>The assembly's simple name.</summary>
    public string AssemblyName { get; }

    /// <summary>True for the Windows x64 convention's page, false for System V's.</summary>
    public bool IsWindowsConvention { get; }

    /// <summary>The page's bytes, as the generator assembled them.</summary>
    public byte[] Code { get; }

    /// <summary>The disassembly stored with them: one line per instruction, each with its offset and bytes.</summary>
    public string Listing { get; }

    /// <summary>
    /// Reads the page of <paramref name="path"/> for one calling convention, or null where the
    /// assembly carries no [XSaveThunk] thunks.
    /// </summary>
    /// <param name="path">An assembly file.</param>
    /// <param name="windows">The Windows convention's page (else System V's).</param>
    /// <exception cref="IOException">The file does not exist or cannot be read.</exception>
    /// <exception cref="BadImageFormatException">The file is not a .NET assembly, or its page is not where the generator puts it.</exception>
    public static AssemblyThunkPage? Read(string path, bool windows)
    {
        if (!File.Exists(path))
        {
            throw new IOException($"'{path}' does not exist.");
        }

        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        bool hasMetadata;
        try
        {
            hasMetadata = pe.HasMetadata;
        }
        catch (BadImageFormatException)
        {
            hasMetadata = false; // not a PE file at all
        }

        if (!hasMetadata)
        {
            throw new BadImageFormatException($"'{path}' is not a .NET assembly: it carries no [XSaveThunk] thunks to read.");
        }

        MetadataReader metadata = pe.GetMetadataReader();
        string convention = windows ? "Windows" : "SystemV";
        foreach (TypeDefinitionHandle typeHandle in metadata.TypeDefinitions)
        {
            TypeDefinition type = metadata.GetTypeDefinition(typeHandle);
            string typeName = metadata.GetString(type.Name);
            if (typeName != "XSaveThunkPage" && !typeName.EndsWith("__XSaveThunkPage", StringComparison.Ordinal))
            {
                continue; // the generated page is file-local: its metadata name is decorated
            }

            if (ConstantString(metadata, type, convention + "Listing") is not { } listing)
            {
                continue;
            }

            byte[] code = GeneratedPageBytes.Read(pe, metadata, type, "get_" + convention)
                ?? throw new BadImageFormatException($"'{path}' keeps a thunk listing, but its page's bytes are not where the generator puts them (the {convention} property's static data).");
            return new AssemblyThunkPage(metadata.GetString(metadata.GetAssemblyDefinition().Name), windows, code, listing);
        }

        return null;
    }

    private static string? ConstantString(MetadataReader metadata, TypeDefinition type, string name)
    {
        foreach (FieldDefinitionHandle fieldHandle in type.GetFields())
        {
            FieldDefinition field = metadata.GetFieldDefinition(fieldHandle);
            if (metadata.GetString(field.Name) == name && !field.GetDefaultValue().IsNil)
            {
                BlobReader blob = metadata.GetBlobReader(metadata.GetConstant(field.GetDefaultValue()).Value);
                return blob.ReadUTF16(blob.Length);
            }
        }

        return null;
    }
}
