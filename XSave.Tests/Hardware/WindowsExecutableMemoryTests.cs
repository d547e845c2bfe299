using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;

namespace XSave.Tests.Hardware;

/// <summary>
/// On Windows, thunk memory as VirtualQuery sees it: every page the library maps is
/// PAGE_EXECUTE_READ, and none is ever PAGE_EXECUTE_READWRITE, not even while it is being filled.
/// (Linux: ProcessLevelTests reads /proc/self/maps the same way.)
/// </summary>
[NonParallelizable]
public unsafe partial class WindowsExecutableMemoryTests
{
    private const uint PageExecuteRead = 0x20, PageExecuteReadWrite = 0x40, PageExecuteWriteCopy = 0x80, MemCommit = 0x1000;

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryBasicInformation // MEMORY_BASIC_INFORMATION, 64-bit
    {
        public nint BaseAddress;
        public nint AllocationBase;
        public uint AllocationProtect;
        public uint PartitionId;
        public nuint RegionSize;
        public uint State;
        public uint Protect;
        public uint Type;
        private readonly uint _alignment;
    }

    [LibraryImport("kernel32")]
    private static partial nuint VirtualQuery(nint address, MemoryBasicInformation* information, nuint length);

    [SetUp]
    public void OnlyOnWindows()
    {
        if (!OperatingSystem.IsWindows())
        {
            Assert.Ignore("VirtualQuery is Windows's; ProcessLevelTests checks Linux's mappings.");
        }
    }

    [Test]
    public void No_page_the_library_maps_is_ever_writable_and_executable()
    {
        var writableExecutable = new ConcurrentBag<(nint Base, nuint Size)>();
        int scans = 0;
        bool done = false;
        var scanner = new Thread(() =>
        {
            do
            {
                foreach (var region in Regions().Where(r => r.State == MemCommit && (r.Protect & (PageExecuteReadWrite | PageExecuteWriteCopy)) != 0))
                {
                    writableExecutable.Add((region.BaseAddress, region.RegionSize));
                }

                Interlocked.Increment(ref scans);
            }
            while (!Volatile.Read(ref done));
        });
        scanner.Start();
        byte[] code = [0xC3]; // ret
        // One scan before the first mapping, each mapping while a scan runs, one scan after it.
        var mapped = new System.Collections.Generic.List<nint>();
        long deadline = Environment.TickCount64 + 60_000;
        void WaitForScansPast(int count)
        {
            while (Volatile.Read(ref scans) <= count && Environment.TickCount64 < deadline)
            {
                Thread.Yield();
            }
        }

        WaitForScansPast(0);
        for (int i = 0; i < 16; i++)
        {
            int before = Volatile.Read(ref scans);
            mapped.Add(ExecutableMemory.Map(code, "XSave.Tests", "ret")); // each one a new VirtualAlloc
            WaitForScansPast(before);
        }

        Volatile.Write(ref done, true);
        scanner.Join();

        nint runtimePage = ExecutableMemory.Mappings.First(m => m.Owner == "XSave").Address;
        Assert.Multiple(() =>
        {
            Assert.That(scans, Is.GreaterThan(mapped.Count), "scanned before, while and after each mapping");
            foreach (nint page in mapped.Append(runtimePage))
            {
                Assert.That(Query(page).Protect, Is.EqualTo(PageExecuteRead), $"0x{page:X}");
                Assert.That(writableExecutable.Where(r => page >= r.Base && page < r.Base + (nint)r.Size), Is.Empty, $"0x{page:X} was seen writable and executable");
            }
        });
        TestContext.Out.WriteLine($"{mapped.Count} pages mapped during {scans} scans; {writableExecutable.Select(r => r.Base).Distinct().Count()} writable+executable regions of others (the runtime's, Wine's)");
    }

    private static MemoryBasicInformation Query(nint address)
    {
        MemoryBasicInformation information;
        Assert.That(VirtualQuery(address, &information, (nuint)sizeof(MemoryBasicInformation)), Is.Not.Zero);
        return information;
    }

    private static System.Collections.Generic.List<MemoryBasicInformation> Regions()
    {
        var regions = new System.Collections.Generic.List<MemoryBasicInformation>();
        nint address = 0x10000;
        MemoryBasicInformation information;
        while (VirtualQuery(address, &information, (nuint)sizeof(MemoryBasicInformation)) != 0)
        {
            regions.Add(information);
            address = information.BaseAddress + (nint)information.RegionSize;
        }

        return regions;
    }
}
