#!/usr/bin/env bash
# Builds the initramfs of the thinfleet test guest: busybox-static, test/vm/init.sh as /init, and
# the device-mapper, loop and 9p modules of one installed Debian kernel, in load order.
#
# Usage: test/vm/build-initramfs.sh [--force]
#   Picks $THINFLEET_VM_KERNEL (a kernel version such as 6.1.0-56-amd64, or a path to
#   /boot/vmlinuz-<version>) or else the newest /boot/vmlinuz-* that has /lib/modules/<version>.
#   Output: .cache/vm/initramfs-<version>-<hash>.cpio.gz, where the hash covers this script,
#   init.sh, the kernel version, its modules.dep and busybox; rebuilt only when one changes.
#   Also caches the kernel unpacked to an ELF vmlinux (.cache/vm/vmlinux-*) when it supports PVH
#   boot, which saves ~3 s per boot under TCG.
#   Prints three lines on stdout for callers (test/vm/vm.mjs):
#     KVER=<version>  KERNEL=<vmlinux or vmlinuz path to boot>  INITRD=<initramfs path>
#   Exit 2 with the install command when qemu's inputs (kernel, modules, busybox) are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/.cache/vm"
install_hint="apt-get install -y qemu-system-x86 linux-image-amd64 busybox-static"

missing() {
  echo "build-initramfs: $*" >&2
  echo "build-initramfs: install with: $install_hint" >&2
  exit 2
}
die() {
  echo "build-initramfs: $*" >&2
  exit 1
}

force=0
[ "${1:-}" = "--force" ] && force=1

# --- the kernel ------------------------------------------------------------------------------
kver=
if [ -n "${THINFLEET_VM_KERNEL:-}" ]; then
  case "$THINFLEET_VM_KERNEL" in
    */*) kver="$(basename "$THINFLEET_VM_KERNEL")"; kver="${kver#vmlinuz-}"; kernel="$THINFLEET_VM_KERNEL" ;;
    *) kver="$THINFLEET_VM_KERNEL"; kernel="/boot/vmlinuz-$kver" ;;
  esac
  [ -f "$kernel" ] || missing "THINFLEET_VM_KERNEL=$THINFLEET_VM_KERNEL: no kernel image $kernel"
  [ -d "/lib/modules/$kver" ] || missing "THINFLEET_VM_KERNEL=$THINFLEET_VM_KERNEL: no /lib/modules/$kver"
else
  for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -rV); do
    if [ -f "/lib/modules/$k/modules.dep" ]; then kver="$k"; break; fi
  done
  [ -n "$kver" ] || missing "no /boot/vmlinuz-<version> with a matching /lib/modules/<version>"
  kernel="/boot/vmlinuz-$kver"
fi
[ -r "$kernel" ] || die "cannot read $kernel (run as root?)"

# --- busybox (must be static: it runs before the host root is mounted) -----------------------
busybox=
for b in /bin/busybox /usr/bin/busybox; do
  [ -x "$b" ] || continue
  if command -v ldd >/dev/null && ldd "$b" >/dev/null 2>&1; then continue; fi # dynamic
  busybox="$b"
  break
done
[ -n "$busybox" ] || missing "no statically linked busybox (/bin/busybox from busybox-static)"
command -v cpio >/dev/null || die "cpio not found (apt-get install -y cpio)"
command -v modinfo >/dev/null || die "modinfo not found (apt-get install -y kmod)"

# --- cache key -------------------------------------------------------------------------------
key="$(
  {
    cat "$here/build-initramfs.sh" "$here/init.sh"
    echo "$kver"
    stat -L -c '%s %Y' "/lib/modules/$kver/modules.dep" "$busybox"
  } | sha256sum | cut -c1-16
)"
out="$cache/initramfs-$kver-$key.cpio.gz"

# --- the kernel, uncompressed ----------------------------------------------------------------
# Under TCG the bzImage's real-mode setup and xz decompression take ~3 s of every boot. A kernel
# built with CONFIG_PVH boots straight from its ELF vmlinux (qemu -kernel loads it through the PVH
# entry), so the payload is unpacked once here and cached. Falls back to the bzImage.
# THINFLEET_VM_PVH=0 turns this off.
extract_vmlinux() { # src dst
  local src="$1" dst="$2" magic cmd off tmp
  tmp="$(mktemp "$cache/.vmlinux.XXXXXX")"
  for pair in 'xz|\xFD7zXZ\x00' 'zstd|\x28\xB5\x2F\xFD' 'gzip|\x1F\x8B\x08'; do
    cmd="${pair%%|*}"
    magic="${pair#*|}"
    command -v "$cmd" >/dev/null || continue
    for off in $(LC_ALL=C grep -obUaP "$magic" "$src" 2>/dev/null | head -n 3 | cut -d: -f1); do
      case "$cmd" in
        xz) tail -c +$((off + 1)) "$src" | xz -dc --single-stream >"$tmp" 2>/dev/null || true ;;
        *) tail -c +$((off + 1)) "$src" | "$cmd" -dc >"$tmp" 2>/dev/null || true ;;
      esac
      if [ "$(head -c 4 "$tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] &&
        [ "$(stat -c %s "$tmp")" -gt 1048576 ]; then
        chmod 0644 "$tmp"
        mv -f "$tmp" "$dst"
        return 0
      fi
    done
  done
  rm -f "$tmp"
  return 1
}
boot_kernel="$kernel"
if [ "${THINFLEET_VM_PVH:-1}" != 0 ] && grep -qs '^CONFIG_PVH=y' "/boot/config-$kver"; then
  kkey="$(stat -L -c '%n %s %Y' "$kernel" | sha256sum | cut -c1-16)"
  vmlinux="$cache/vmlinux-$kver-$kkey"
  mkdir -p "$cache"
  if [ -s "$vmlinux" ] || extract_vmlinux "$kernel" "$vmlinux"; then
    boot_kernel="$vmlinux"
    for f in "$cache"/vmlinux-*; do
      [ "$f" = "$vmlinux" ] || rm -f "$f"
    done
  else
    echo "build-initramfs: could not unpack $kernel; booting the bzImage (slower)" >&2
  fi
fi

if [ "$force" = 0 ] && [ -s "$out" ]; then
  printf 'KVER=%s\nKERNEL=%s\nINITRD=%s\n' "$kver" "$boot_kernel" "$out"
  exit 0
fi

# --- modules, in dependency order ------------------------------------------------------------
# Wanted (the brief's order). "need" ones must exist as a module or be built in; helpers that a
# kernel does not have are skipped, because if something needs them modinfo lists them as a
# dependency below and that fails loudly.
need="crc32c_generic dm-mod dm-thin-pool loop virtio_pci 9pnet_virtio 9p"
wanted="crc32c_generic libcrc32c dm-mod dm-bufio dm-bio-prison dm-persistent-data dm-thin-pool dm-snapshot dm-log dm-region-hash dm-mirror loop
  virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache
  9pnet 9pnet_virtio 9p virtio_blk virtio_console failover net_failover virtio_net watchdog i6300esb"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,newroot,modules,tmp}

declare -A seen=()
order=()
notes=()
norm() { echo "${1//-/_}"; }
is_needed() { local m; for m in $need; do [ "$(norm "$m")" = "$(norm "$1")" ] && return 0; done; return 1; }

add_module() { # name, who-needs-it ("" for a wanted module)
  local m="$1" by="$2" n file deps d
  n="$(norm "$m")"
  [ -n "${seen[$n]:-}" ] && return 0
  seen[$n]=1
  if ! file="$(modinfo -k "$kver" -F filename "$m" 2>/dev/null)" || [ -z "$file" ]; then
    if [ -n "$by" ]; then die "module $m (needed by $by) not found for kernel $kver"; fi
    if is_needed "$m"; then missing "module $m not found for kernel $kver (modinfo -k $kver $m)"; fi
    notes+=("$m: not in $kver, skipped")
    return 0
  fi
  case "$file" in
    "(builtin)") notes+=("$m: built in"); return 0 ;;
  esac
  deps="$(modinfo -k "$kver" -F depends "$m" | tr ',' ' ')"
  for d in $deps; do add_module "$d" "$m"; done
  case "$file" in
    *.ko) cp "$file" "$stage/modules/$n.ko" ;;
    *.ko.xz) xz -dc "$file" >"$stage/modules/$n.ko" ;;
    *.ko.zst) zstd -qdc "$file" >"$stage/modules/$n.ko" ;;
    *.ko.gz) gzip -dc "$file" >"$stage/modules/$n.ko" ;;
    *) die "module $m: unexpected file $file" ;;
  esac
  order+=("$n")
}
for m in $wanted; do add_module "$m" ""; done
printf '%s\n' "${order[@]}" >"$stage/modules/order"

# --- busybox, /init, device nodes ------------------------------------------------------------
cp "$busybox" "$stage/bin/busybox"
for a in sh mount umount insmod mkdir chroot env cat echo sync poweroff reboot sleep ls dmesg \
  tail ip ifconfig cp mknod mkfifo ln rm uname grep sed tr kill seq; do
  ln -s busybox "$stage/bin/$a"
done
cp "$here/init.sh" "$stage/init"
chmod 0755 "$stage/init"
if [ "$(id -u)" = 0 ]; then
  mknod -m 600 "$stage/dev/console" c 5 1
  mknod -m 666 "$stage/dev/null" c 1 3
fi

mkdir -p "$cache"
tmp="$(mktemp "$cache/.initramfs.XXXXXX")"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
  gzip -6n >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$out"
# Older archives of this kernel or of older scripts are never used again.
for f in "$cache"/initramfs-*.cpio.gz; do
  [ "$f" = "$out" ] || rm -f "$f"
done

{
  echo "build-initramfs: built $out ($(du -k "$out" | cut -f1) KiB)"
  echo "build-initramfs: modules in load order: ${order[*]}"
  for n in "${notes[@]}"; do echo "build-initramfs: $n"; done
} >&2
printf 'KVER=%s\nKERNEL=%s\nINITRD=%s\n' "$kver" "$boot_kernel" "$out"
