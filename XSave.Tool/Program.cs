// xsave: the command-line front end. Everything lives in Cli so the tests can run it in-process.
// A Windows console's code page would turn the messages' dashes into another code page's bytes.
if (System.OperatingSystem.IsWindows())
{
    System.Console.OutputEncoding = System.Text.Encoding.UTF8;
}

return XSave.Tool.Cli.Run(args, System.Console.Out, System.Console.Error, XSave.Tool.Style.ForConsole());
