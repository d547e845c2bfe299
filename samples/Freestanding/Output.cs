using Freestanding.Uefi;

namespace Freestanding
{
    /// <summary>Text to the firmware's console, which OVMF copies to the serial port.</summary>
    internal static unsafe class Output
    {
        private static TextOutput* s_console;

        public static void Attach(TextOutput* console) => s_console = console;

        public static void Write(string text)
        {
            fixed (char* characters = text)
            {
                s_console->OutputString(s_console, characters);
            }
        }

        public static void Line(string text)
        {
            Write(text);
            Write("\r\n");
        }

        /// <summary>0x followed by the value in hexadecimal, without leading zeros.</summary>
        public static void Hex(ulong value)
        {
            char* digits = stackalloc char[19];
            int at = 18;
            digits[at] = '\0';
            do
            {
                uint nibble = (uint)(value & 0xF);
                digits[--at] = (char)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);
                value >>= 4;
            }
            while (value != 0);

            digits[--at] = 'x';
            digits[--at] = '0';
            s_console->OutputString(s_console, digits + at);
        }

        public static void Decimal(ulong value)
        {
            char* digits = stackalloc char[21];
            int at = 20;
            digits[at] = '\0';
            do
            {
                digits[--at] = (char)('0' + (value % 10));
                value /= 10;
            }
            while (value != 0);

            s_console->OutputString(s_console, digits + at);
        }
    }
}
