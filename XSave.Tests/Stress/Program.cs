// XSave.Stress: run by XSave.Tests as a child process.
//   fuzz --cases N [--seed S] [--corpus DIR] [--save-corpus DIR]   drive workers, count crashes
//   fuzz-worker --start I --count N --seed S [--corpus DIR]         run cases, one line each
//   first-call-race --threads N                                      race the first thunk call
//   wx                                                               scan /proc/self/maps around initialisation
//   unmasked-trap                                                    divide by zero with ZM clear, inside a catch-all
//   load-race --field F [--target T] [--ms N]                        Load while another thread flips field F
//   switch-race [--ms N]                                             two threads switch crosswise between two contexts
//   hold-state [--threads N] [--fail-fast 1]                         threads hold known MXCSR/FCW for a dump producer
//   churn-threads                                                    start and join short threads until killed
//   change-words [--step-ms N]                                       a thread changes MXCSR and FCW on a schedule, for xsave watch
using System;
using XSave.Stress;

string command = args.Length > 0 ? args[0] : string.Empty;
var options = Options.Parse(args.AsSpan(Math.Min(1, args.Length)));
return command switch
{
    "fuzz" => FuzzDriver.Run(options),
    "fuzz-worker" => FuzzWorker.Run(options),
    "first-call-race" => FirstCallRace.Run(options),
    "wx" => WriteXorExecuteProbe.Run(),
    "unmasked-trap" => UnmaskedTrap.Run(),
    "load-race" => LoadRace.Run(options),
    "switch-race" => SwitchRace.Run(options),
    "hold-state" => HoldState.Run(options),
    "churn-threads" => ChurnThreads.Run(),
    "change-words" => ChangeWords.Run(options),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: XSave.Stress fuzz|fuzz-worker|first-call-race|wx|unmasked-trap|load-race|switch-race|hold-state|churn-threads|change-words [--option value ...]");
    return 2;
}
