#!/usr/bin/env bash
# Builds the UEFI image (samples/Freestanding) and boots it under qemu-system-x86_64 with OVMF.
# Prints the guest's serial output and exits 0 only when the guest reports every step passed.
# Installs qemu-system-x86, ovmf and lld with apt-get where they are missing (as root).
# XSAVE_BOOT_TIMEOUT bounds the guest's run, in seconds (default 300).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
timeout_seconds="${XSAVE_BOOT_TIMEOUT:-300}"

firmware() { # the OVMF code image, wherever this distribution puts it
    for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd; do
        [ -f "$f" ] && { echo "$f"; return; }
    done
}

if ! command -v qemu-system-x86_64 >/dev/null || ! command -v lld-link >/dev/null || [ -z "$(firmware)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 ovmf lld) >/dev/null
    else
        echo "boot.sh needs qemu-system-x86_64, lld-link and OVMF (Debian: qemu-system-x86 ovmf lld)" >&2
        exit 1
    fi
fi

echo "== build: C# -> IL (own core library) -> ILC (Windows x64 object) -> lld-link (PE, EFI application)"
dotnet build "$here/Freestanding.csproj" -c Release -p:BuildEfiImage=true -nologo -v q
image=$(find "$here/bin/Release" -name BOOTX64.EFI | head -n 1)
echo "image: $image, $(stat -c %s "$image") bytes"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/esp/EFI/BOOT"
cp "$image" "$work/esp/EFI/BOOT/BOOTX64.EFI"
code=$(firmware)
vars="$(dirname "$code")/$(basename "$code" | sed 's/CODE/VARS/')"
if [ -f "$vars" ]; then
    cp "$vars" "$work/vars.fd"
    flash=(-drive "if=pflash,format=raw,readonly=on,file=$code" -drive "if=pflash,format=raw,file=$work/vars.fd")
else
    flash=(-bios "$code")
fi

# KVM where this user may open it (the guest then sees the host's CPU), otherwise TCG's "max" model.
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    accel=(-accel kvm -cpu host); how="KVM, -cpu host"
else
    accel=(-accel tcg -cpu max); how="TCG, -cpu max"
fi

echo "== boot: qemu-system-x86_64 ($how), OVMF $(basename "$code"), the image as EFI/BOOT/BOOTX64.EFI"
start=$(date +%s%N)
status=0
timeout "$timeout_seconds" qemu-system-x86_64 -machine q35 "${accel[@]}" -m 256 -display none -no-reboot -net none \
    "${flash[@]}" -drive "format=raw,file=fat:rw:$work/esp" -serial "file:$work/serial.log" || status=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# The firmware's console output, without its terminal escape sequences.
sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g; s/\r$//' "$work/serial.log" | grep -v '^$' || true
echo "guest ran $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s (firmware start to shutdown), exit status $status"
if [ "$status" = 124 ]; then
    echo "The guest did not shut down within $timeout_seconds s" >&2
    exit 1
fi
grep -q "XSAVE-FREESTANDING: PASS" "$work/serial.log" || { echo "The guest did not report every step passed" >&2; exit 1; }
