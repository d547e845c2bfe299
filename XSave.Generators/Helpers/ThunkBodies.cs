namespace XSave.Generators.Helpers;

/// <summary>Writes thunk bodies inside their containing types, each type re-opened once (both forms).</summary>
internal static class ThunkBodies
{
    /// <summary>Re-opens each containing type once and writes its thunks' bodies with <paramref name="method"/>.</summary>
    public static void Write(SourceWriter source, ImmutableArray<AssembledThunk> thunks, int[] offsets, System.Action<SourceWriter, ThunkModel, int> method)
    {
        var order = new List<HierarchyInfo>();
        var groups = new Dictionary<HierarchyInfo, List<int>>();
        for (int i = 0; i < thunks.Length; i++)
        {
            HierarchyInfo hierarchy = thunks[i].Thunk.Hierarchy;
            if (!groups.TryGetValue(hierarchy, out List<int>? members))
            {
                groups[hierarchy] = members = [];
                order.Add(hierarchy);
            }

            members.Add(i);
        }

        foreach (HierarchyInfo hierarchy in order)
        {
            source.Line();
            source.OpenHierarchy(hierarchy);
            bool first = true;
            foreach (int i in groups[hierarchy])
            {
                if (!first)
                {
                    source.Line();
                }

                first = false;
                method(source, thunks[i].Thunk, offsets[i]);
            }

            source.CloseHierarchy(hierarchy);
        }
    }
}
