using XSave.Generators.Diagnostics;
using XSave.Generators.Helpers;

namespace XSave.Generators.Models;

/// <summary>What parsing one attributed method yields: a model when it is valid, and its diagnostics.</summary>
internal sealed record ParseResult(ThunkModel? Thunk, EquatableArray<DiagnosticInfo> Diagnostics);
