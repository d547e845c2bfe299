using System.IO;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using XSave.Tests.Generator;

namespace XSave.Tests.Reliability;

/// <summary>
/// Executable memory refused, and a host's own allocator, both injected. A freshly compiled
/// consumer assembly gives each test thunks that have not been mapped yet.
/// </summary>
[RequiresXSave]
[NonParallelizable]
public class ExecutableMemoryHookTests
{
    private sealed class Refusing : IExecutableMemoryAllocator
    {
        public nint MapExecutable(ReadOnlySpan<byte> code) => throw new UnauthorizedAccessException("execmem denied by policy");
    }

    private sealed class Counting : IExecutableMemoryAllocator
    {
        private readonly OperatingSystemAllocator _inner = new();
        public int Calls;
        public nint MapExecutable(ReadOnlySpan<byte> code)
        {
            Calls++;
            return _inner.MapExecutable(code);
        }
    }

    private static MethodInfo FreshThunk()
    {
        var (_, output) = GeneratorHarness.Run("""
            public static unsafe partial class Fresh
            {
                [XSave.XSaveThunk(XSave.XSaveInstruction.XGetBv)]
                public static partial ulong ReadXcr(uint register);
            }
            """);
        using var image = new MemoryStream();
        Assert.That(output.Emit(image).Success, Is.True);
        image.Position = 0;
        var context = new AssemblyLoadContext("fresh-thunks", isCollectible: true);
        return context.LoadFromStream(image).GetType("Fresh")!.GetMethod("ReadXcr")!;
    }

    [Test]
    public void Refused_memory_makes_the_first_call_throw_a_clear_exception_and_the_next_call_can_succeed()
    {
        MethodInfo thunk = FreshThunk();
        XFeatures enabled = XSaveArea.EnabledFeatures; // the library's own thunks mapped before the refusing allocator, whatever ran first
        IExecutableMemoryAllocator original = ExecutableMemory.Allocator;
        try
        {
            ExecutableMemory.Allocator = new Refusing();
            var refused = Assert.Throws<TargetInvocationException>(() => thunk.Invoke(null, [0u]))!.InnerException;
            Assert.That(refused, Is.InstanceOf<ExecutableMemoryUnavailableException>());
            Assert.That(refused!.Message, Does.Contain("Consumer").And.Contain("execmem denied by policy"));
            Assert.That(XSaveArea.EnabledFeatures, Is.EqualTo(enabled), "already-mapped thunks keep working");

            var counting = new Counting();
            ExecutableMemory.Allocator = counting;
            Assert.That((XFeatures)(ulong)thunk.Invoke(null, [0u])!, Is.EqualTo(XSaveArea.EnabledFeatures));
            Assert.That((XFeatures)(ulong)thunk.Invoke(null, [0u])!, Is.EqualTo(XSaveArea.EnabledFeatures));
            Assert.That(counting.Calls, Is.EqualTo(1), "mapped once, through the host's allocator");
        }
        finally
        {
            ExecutableMemory.Allocator = original;
        }
    }

    [Test]
    public void An_allocator_returning_null_is_refused_clearly()
    {
        IExecutableMemoryAllocator original = ExecutableMemory.Allocator;
        try
        {
            ExecutableMemory.Allocator = new NullAllocator();
            var ex = Assert.Throws<ExecutableMemoryUnavailableException>(() => ExecutableMemory.Map(new byte[] { 0xC3 }, "Test", string.Empty));
            Assert.That(ex!.Message, Does.Contain("null address"));
        }
        finally
        {
            ExecutableMemory.Allocator = original;
        }

        Assert.Throws<ArgumentNullException>(() => ExecutableMemory.Allocator = null!);
    }

    private sealed class NullAllocator : IExecutableMemoryAllocator
    {
        public nint MapExecutable(ReadOnlySpan<byte> code) => 0;
    }
}
