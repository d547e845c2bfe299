using XSave.Generators.Diagnostics;

namespace XSave.Generators.Models;

/// <summary>What parsing one attributed method yields: a model when it is valid, its diagnostics, and a throwing stub where a refused method can take one.</summary>
internal sealed record ParseResult(ThunkModel? Thunk, EquatableArray<DiagnosticInfo> Diagnostics, StubModel? Stub = null);
