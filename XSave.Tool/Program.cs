// xsave: the command-line front end. Everything lives in Cli so the tests can run it in-process.
return XSave.Tool.Cli.Run(args, System.Console.Out, System.Console.Error, XSave.Tool.Style.ForConsole());
