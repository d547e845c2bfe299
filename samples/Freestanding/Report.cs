namespace Freestanding
{
    /// <summary>Counts the steps and prints each one's verdict; the last line is what boot.sh looks for.</summary>
    internal static class Report
    {
        private static int s_passed;
        private static int s_failed;

        public static bool Step(bool passed, string what)
        {
            Output.Write(passed ? "[pass] " : "[FAIL] ");
            Output.Line(what);
            if (passed)
            {
                s_passed++;
            }
            else
            {
                s_failed++;
            }

            return passed;
        }

        public static void Finish()
        {
            Output.Write(s_failed == 0 ? "XSAVE-FREESTANDING: PASS, " : "XSAVE-FREESTANDING: FAIL, ");
            Output.Decimal((ulong)s_passed);
            Output.Write(" passed, ");
            Output.Decimal((ulong)s_failed);
            Output.Line(" failed");
        }
    }
}
