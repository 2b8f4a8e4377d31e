#!/bin/sh
# Smoke check of the test guest (or of a host with root and dm-thin): a thin-pool over loop devices
# on sparse files in /tmp, one thin device written with dd, teardown, thin_check of the metadata.
# Proves the modules, devtmpfs (/dev/mapper/control, /dev/dm-N, /dev/loopN) and the chroot.
#
#   node test/vm/run-in-vm.mjs -- sh test/vm/smoke.sh
#
# No udev in the guest: its /init sets DM_DISABLE_UDEV=1, so dmsetup makes /dev/mapper/<name>.
set -eu

dir="$(mktemp -d /tmp/thinfleet-smoke.XXXXXX)"
pool=tfsmoke-pool
thin=tfsmoke-thin
meta_loop=
data_loop=

cleanup() {
  dmsetup remove "$thin" 2>/dev/null || true
  dmsetup remove "$pool" 2>/dev/null || true
  [ -n "$meta_loop" ] && losetup -d "$meta_loop" 2>/dev/null || true
  [ -n "$data_loop" ] && losetup -d "$data_loop" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

step() { echo "smoke: $*"; }

[ -c /dev/mapper/control ] || { echo "smoke: /dev/mapper/control missing" >&2; exit 1; }

truncate -s 4M "$dir/meta"
truncate -s 64M "$dir/data"
meta_loop="$(losetup --find --show "$dir/meta")"
data_loop="$(losetup --find --show "$dir/data")"
step "loops: meta=$meta_loop data=$data_loop"
# A fresh pool needs zeroed metadata: the first 4 KiB must not hold a stale superblock.
dd if=/dev/zero of="$meta_loop" bs=4096 count=1 conv=fsync 2>/dev/null

data_sectors=$((64 * 1024 * 1024 / 512))
dmsetup create "$pool" --table "0 $data_sectors thin-pool $meta_loop $data_loop 128 0"
dmsetup message "$pool" 0 "create_thin 0"
dmsetup create "$thin" --table "0 $((2 * data_sectors)) thin /dev/mapper/$pool 0"
step "devices: $(ls /dev/mapper | tr '\n' ' ')"
step "dm nodes: $(ls /dev | grep '^dm-' | tr '\n' ' ')"

dd if=/dev/urandom of="/dev/mapper/$thin" bs=1M count=8 conv=fsync 2>/dev/null
dd if="/dev/mapper/$thin" of=/dev/null bs=1M count=8 2>/dev/null
step "pool status: $(dmsetup status "$pool")"
step "thin status: $(dmsetup status "$thin")"

dmsetup remove "$thin"
dmsetup remove "$pool"
losetup -d "$meta_loop"
meta_loop=
losetup -d "$data_loop"
data_loop=

# thin_check opens with O_DIRECT, which tmpfs refuses (EINVAL); a read-only loop device over the
# file takes it. (Files on the 9p work-tree share, cache=none, can be checked directly.)
if ! thin_check "$dir/meta" 2>/dev/null; then
  meta_loop="$(losetup --read-only --find --show "$dir/meta")"
  thin_check "$meta_loop"
fi
step "thin_check of the metadata: clean"
echo "smoke: ok"
