using System.Collections.Generic;
using System.IO;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace XSave.Tests.Structure;

/// <summary>
/// XSave.Runtime's folders in layers, lowest first: a file may name types of its own layer and
/// the layers below, never one above (docs/design.md, "Layers"). Read from the sources with
/// Roslyn's parser: a type is named by an identifier that is not a member access's or an
/// initializer's member name.
/// </summary>
public class LayerTests
{
    /// <summary>Each folder's layer.</summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["Restore"] = 0,        // rules: the architectural constants and the rule rows, over primitives
        ["Area"] = 1,           // data: the area, its views and components
        ["Layouts"] = 1,        // data: where components lie, and conversions between formats
        ["Images"] = 1,         // data: images, cores' notes, parsed from bytes
        ["Machine"] = 2,        // the runtime's own thunks, declared (Instructions), and the structures its routines read
        ["ExecutableMemory"] = 2, // the pages they are mapped into
        ["Cpu"] = 3,            // the processor: its profile, read once (with two of those thunks)
        ["Validation"] = 4,     // the rules worded against an area and a CPU
        ["Execution"] = 5,      // the public instructions, the tables built from the CPU, the context type
        ["Package"] = 5,
    };

    /// <summary>Types whose parts lie in more than one folder: the save and restore members of the two areas (public API) live with the execution.</summary>
    private static readonly string[] SplitTypes = ["LegacyRegion", "XSaveArea"];

    private static string RuntimeRoot => Path.Combine(Repository.Root, "XSave.Runtime");

    private static IEnumerable<(string Folder, string File, SyntaxNode Root)> Sources() =>
        Directory.EnumerateFiles(RuntimeRoot, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RuntimeRoot, path).Replace('\\', '/'))
            .Where(file => !file.StartsWith("obj/", StringComparison.Ordinal) && !file.StartsWith("bin/", StringComparison.Ordinal))
            .Select(file => (file.Split('/')[0], file, CSharpSyntaxTree.ParseText(File.ReadAllText(Path.Combine(RuntimeRoot, file))).GetRoot()));

    [Test]
    public void Every_folder_of_the_runtime_has_a_layer()
    {
        Assert.That(Sources().Select(s => s.Folder).Distinct().Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || !Layers.ContainsKey(f)), Is.Empty, "files outside a layer's folder");
    }

    [Test]
    public void No_file_names_a_type_of_a_layer_above_its_own()
    {
        var sources = Sources().ToList();
        var folders = new Dictionary<string, HashSet<string>>();
        foreach (var (folder, _, root) in sources)
        {
            foreach (string type in root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Text)
                .Concat(root.DescendantNodes().OfType<DelegateDeclarationSyntax>().Select(d => d.Identifier.Text)))
            {
                (folders.TryGetValue(type, out var set) ? set : folders[type] = []).Add(folder);
            }
        }

        var crossings = new SortedSet<string>();
        foreach (var (folder, file, root) in sources)
        {
            foreach (SimpleNameSyntax name in root.DescendantNodes().OfType<SimpleNameSyntax>().Where(IsTypeUse))
            {
                if (folders.TryGetValue(name.Identifier.Text, out var defined) && defined.All(d => Layers[d] > Layers[folder]))
                {
                    string above = defined.OrderBy(d => Layers[d]).First();
                    crossings.Add($"{file} -> {name.Identifier.Text} ({above})");
                }
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(crossings, Is.Empty, "files naming a type of a layer above their own");
            Assert.That(folders.Where(t => t.Value.Count > 1).Select(t => t.Key).Order(), Is.EqualTo(SplitTypes), "types split across folders");
        });
    }

    // An identifier that can name a type: not the member of a member access or a qualified name, not an initializer's member.
    private static bool IsTypeUse(SimpleNameSyntax name) => name.Parent switch
    {
        MemberAccessExpressionSyntax access => access.Expression == name,
        QualifiedNameSyntax qualified => qualified.Left == name,
        AssignmentExpressionSyntax assignment when assignment.Parent is InitializerExpressionSyntax => assignment.Right == name,
        NameColonSyntax or NameEqualsSyntax => false,
        _ => true,
    };
}
