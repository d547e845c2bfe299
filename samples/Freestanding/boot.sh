#!/usr/bin/env bash
# Builds the UEFI image (samples/Freestanding) and boots it under qemu-system-x86_64 with OVMF.
# Prints the guest's serial output and exits 0 only when the guest reports every step passed.
# Installs qemu-system-x86, ovmf and lld with apt-get where they are missing (as root).
#
# The accelerator: KVM with -cpu host where the KVM device opens (the guest then runs on this
# machine's own CPU), otherwise TCG with -cpu max. A KVM that cannot run the guest is a fact about
# the machine, not a verdict: when QEMU ends before the image has printed its first line, or KVM
# stops the guest with an internal error, the boot runs again under TCG and the output says why.
# Only the guest's own report decides: once the image has started, a failed step, a hang or a
# crash fails the run under either accelerator (docs/freestanding.md, "Accelerators").
#
# XSAVE_BOOT_ACCEL=kvm|tcg forces one accelerator, with no fallback (default: auto).
# XSAVE_BOOT_TIMEOUT bounds each guest run, in seconds (default 300).
# XSAVE_BOOT_IMAGE boots that image instead of building one; XSAVE_BOOT_FIRMWARE names the OVMF
# code image; XSAVE_BOOT_KVM_DEVICE the KVM device (default /dev/kvm). The tests set these three.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
timeout_seconds="${XSAVE_BOOT_TIMEOUT:-300}"
requested="${XSAVE_BOOT_ACCEL:-auto}"
kvm_device="${XSAVE_BOOT_KVM_DEVICE:-/dev/kvm}"
banner="XSave freestanding sample:"   # the image's first line: from here on the guest is ours

case "$requested" in
    auto|kvm|tcg) ;;
    *) echo "XSAVE_BOOT_ACCEL is '$requested'; it takes kvm, tcg or auto" >&2; exit 2 ;;
esac

firmware() { # the OVMF code image, wherever this distribution puts it
    if [ -n "${XSAVE_BOOT_FIRMWARE:-}" ]; then echo "$XSAVE_BOOT_FIRMWARE"; return; fi
    for f in /usr/share/OVMF/OVMF_CODE_4M.fd /usr/share/OVMF/OVMF_CODE.fd /usr/share/ovmf/OVMF.fd /usr/share/qemu/OVMF.fd; do
        [ -f "$f" ] && { echo "$f"; return; }
    done
}

if ! command -v qemu-system-x86_64 >/dev/null || { [ -z "${XSAVE_BOOT_IMAGE:-}" ] && ! command -v lld-link >/dev/null; } || [ -z "$(firmware)" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 ovmf lld) >/dev/null
    else
        echo "boot.sh needs qemu-system-x86_64, lld-link and OVMF (Debian: qemu-system-x86 ovmf lld)" >&2
        exit 1
    fi
fi

if [ -n "${XSAVE_BOOT_IMAGE:-}" ]; then
    image="$XSAVE_BOOT_IMAGE"
else
    echo "== build: C# -> IL (own core library) -> ILC (Windows x64 object) -> lld-link (PE, EFI application)"
    dotnet build "$here/Freestanding.csproj" -c Release -p:BuildEfiImage=true -nologo -v q
    image=$(find "$here/bin/Release" -name BOOTX64.EFI | head -n 1)
fi
echo "image: $image, $(stat -c %s "$image") bytes"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/esp/EFI/BOOT"
cp "$image" "$work/esp/EFI/BOOT/BOOTX64.EFI"
code=$(firmware)
vars="$(dirname "$code")/$(basename "$code" | sed 's/CODE/VARS/')"

# Boots once under $1 (kvm or tcg). Sets outcome to "report" (the guest wrote its verdict line),
# "no-report" (the image started and did not finish: a fail) or "accelerator" (the accelerator
# could not run the guest), and why to a sentence saying what happened.
boot() {
    local accel=$1 serial="$work/serial-$1.log" errors="$work/qemu-$1.err" status=0 pid start elapsed_ms
    local -a accel_args flash
    case "$accel" in
        kvm) accel_args=(-accel kvm -cpu host) ;;
        tcg) accel_args=(-accel tcg -cpu max) ;;
    esac
    # A fresh copy of the variable store for each boot: a guest run leaves its marks in it.
    if [ "$vars" != "$code" ] && [ -f "$vars" ]; then
        cp "$vars" "$work/vars-$accel.fd"
        flash=(-drive "if=pflash,format=raw,readonly=on,file=$code" -drive "if=pflash,format=raw,file=$work/vars-$accel.fd")
    else
        flash=(-bios "$code")
    fi
    echo "== boot: qemu-system-x86_64 (${accel_args[*]}), OVMF $(basename "$code"), the image as EFI/BOOT/BOOTX64.EFI"
    : > "$serial"
    start=$(date +%s%N)
    qemu-system-x86_64 -machine q35 "${accel_args[@]}" -m 256 -display none -no-reboot -net none \
        "${flash[@]}" -drive "format=raw,file=fat:rw:$work/esp" -serial "file:$serial" 2> "$errors" &
    pid=$!
    # KVM answers an instruction it cannot emulate by pausing the guest, and QEMU then waits
    # forever: watch for that instead of waiting out the timeout.
    local deadline=$((SECONDS + timeout_seconds)) stopped=""
    while kill -0 "$pid" 2>/dev/null; do
        if grep -q "KVM internal error" "$errors"; then stopped="internal-error"; break; fi
        if [ "$SECONDS" -ge "$deadline" ]; then stopped="timeout"; break; fi
        sleep 0.2
    done
    [ -n "$stopped" ] && kill "$pid" 2>/dev/null
    wait "$pid" || status=$?
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))

    sed 's/^/qemu: /' "$errors" | head -n 20
    # The firmware's console output, without its terminal escape sequences.
    sed 's/\x1b\[[0-9;=?]*[a-zA-Z]//g; s/\r$//' "$serial" | grep -v '^$' || true
    echo "guest ran $((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000))) s under $accel, QEMU exit status $status"

    local first_error
    first_error=$(grep -v '^\s*$' "$errors" | head -n 1 || true)
    if grep -q "^XSAVE-FREESTANDING: " "$serial"; then
        outcome=report; why="the guest reported: $(grep -o '^XSAVE-FREESTANDING: .*' "$serial" | tr -d '\r')"
    elif [ "$stopped" = internal-error ]; then
        outcome=accelerator; why="KVM stopped the guest with an internal error (${first_error})"
    elif ! grep -q "$banner" "$serial"; then
        if [ "$stopped" = timeout ]; then
            outcome=accelerator; why="the firmware did not start the image within $timeout_seconds s"
        else
            outcome=accelerator; why="QEMU ended with status $status before the image started${first_error:+ ($first_error)}"
        fi
    elif [ "$stopped" = timeout ]; then
        outcome=no-report; why="the image started and did not shut down within $timeout_seconds s"
    else
        outcome=no-report; why="the image started and QEMU ended with status $status without the guest's verdict${first_error:+ ($first_error)}"
    fi
}

kvm_usable() { [ -r "$kvm_device" ] && [ -w "$kvm_device" ]; }

case "$requested" in
    kvm) accel=kvm; chosen="forced by XSAVE_BOOT_ACCEL=kvm" ;;
    tcg) accel=tcg; chosen="forced by XSAVE_BOOT_ACCEL=tcg" ;;
    auto) if kvm_usable; then accel=kvm; chosen="$kvm_device opens"
          elif [ -e "$kvm_device" ]; then accel=tcg; chosen="$kvm_device cannot be opened by this user"
          else accel=tcg; chosen="this machine has no $kvm_device"; fi ;;
esac
boot "$accel"
if [ "$outcome" = accelerator ] && [ "$accel" = kvm ] && [ "$requested" = auto ]; then
    echo "== KVM could not run the guest: $why. That is this machine's, not the guest's: booting again under TCG"
    chosen="KVM was left: $why"
    accel=tcg
    boot tcg
fi

name=$([ "$accel" = kvm ] && echo "KVM (-cpu host)" || echo "TCG (-cpu max)")
echo "verdict from $name; $chosen"
case "$outcome" in
    report)
        grep -q "^XSAVE-FREESTANDING: PASS" "$work/serial-$accel.log" || { echo "The guest did not report every step passed under $name" >&2; exit 1; } ;;
    *)
        echo "No verdict from the guest under $name: $why" >&2
        exit 1 ;;
esac
