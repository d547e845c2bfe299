// Bounce buffers are 4 KiB of stackalloc that is overwritten at once: zeroing them is wasted work.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
