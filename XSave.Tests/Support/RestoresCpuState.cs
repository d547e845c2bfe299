namespace XSave.Tests.Support;

/// <summary>A fixture whose tests change the live state: it is saved before each test and restored after.</summary>
public abstract class RestoresCpuState
{
    /// <summary>This thread's state before the test.</summary>
    protected XSaveArea _original;

    [SetUp]
    public void SaveOriginal() => _original.Save();

    [TearDown]
    public void RestoreOriginal() => _original.Load();
}
