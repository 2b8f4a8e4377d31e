#!/bin/busybox sh
# PID 1 of the thinfleet test guest (copied into the initramfs as /init by build-initramfs.sh).
#
# Loads the device-mapper, loop and 9p modules listed in /modules/order, mounts the host's root
# read-only over 9p (tag "hostroot") at /newroot, mounts tmpfs, proc, sysfs and devtmpfs inside
# it, mounts the work tree read-write over 9p (tag "worktree") at its host path, then chroots and
# runs the job script the host wrote into the work tree. Ends by printing
#   THINFLEET_VM_EXIT:<nonce>=<exit code>
# on the console and powering off. Kernel command line parameters read here:
#   thinfleet.worktree=<absolute host path of the work tree>
#   thinfleet.job=<job script path, relative to the work tree>
#   thinfleet.nonce=<token that makes the end marker unique to one run>
#   thinfleet.cache=<9p cache mode for the host root>  (default: loose)
#   thinfleet.wtcache=<9p cache mode for the work tree> (default: loose; none made a trivial
#                                                      vitest run 5-10x slower under TCG)

export PATH=/bin
umask 022

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The kernel may have started us without a console (no /dev/console in the archive when it was
# built without root); reopen it now that devtmpfs is there.
exec </dev/console >/dev/console 2>&1

WORKTREE=
JOB=
NONCE=none
CACHE=loose
WTCACHE=loose
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    thinfleet.worktree=*) WORKTREE="${arg#*=}" ;;
    thinfleet.job=*) JOB="${arg#*=}" ;;
    thinfleet.nonce=*) NONCE="${arg#*=}" ;;
    thinfleet.cache=*) CACHE="${arg#*=}" ;;
    thinfleet.wtcache=*) WTCACHE="${arg#*=}" ;;
  esac
done

off() {
  sync
  poweroff -f
  echo o >/proc/sysrq-trigger
  sleep 5
  exit 1 # init exiting panics the kernel; with panic=-1 and qemu -no-reboot qemu stops
}

fail() {
  echo "thinfleet-vm init: $*"
  echo "--- last kernel messages ---"
  dmesg | tail -n 30
  echo
  echo "THINFLEET_VM_INIT_ERROR:$NONCE"
  echo "THINFLEET_VM_EXIT:$NONCE=125"
  off
}

[ -n "$WORKTREE" ] || fail "thinfleet.worktree= missing from the kernel command line"
[ -n "$JOB" ] || fail "thinfleet.job= missing from the kernel command line"

while read -r mod; do
  [ -n "$mod" ] || continue
  insmod "/modules/$mod.ko" || fail "insmod $mod failed"
done </modules/order

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || fail "cannot bring up lo"

NINE="trans=virtio,version=9p2000.L,msize=512000"
R=/newroot
mount -t 9p -o "$NINE,cache=$CACHE,ro" hostroot $R || fail "mount of the host root (9p tag hostroot) failed"
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mount tmpfs on /tmp failed"
mount -t tmpfs -o mode=0755 tmpfs $R/run || fail "mount tmpfs on /run failed"
mount -t proc proc $R/proc || fail "mount proc failed"
mount -t sysfs sys $R/sys || fail "mount sysfs failed"
mount -t devtmpfs dev $R/dev || fail "mount devtmpfs failed"
mkdir -p $R/dev/pts $R/dev/shm $R/run/lock
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts || fail "mount devpts failed"
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm || fail "mount tmpfs on /dev/shm failed"
[ -d $R/var/tmp ] && mount -t tmpfs -o mode=1777 tmpfs $R/var/tmp
# LVM writes backups and archives under /etc/lvm: give it a writable copy.
if [ -d $R/etc/lvm ]; then
  mkdir -p /lvm-etc && cp -a $R/etc/lvm/. /lvm-etc/ &&
    mount -t tmpfs -o mode=0755 tmpfs $R/etc/lvm && cp -a /lvm-etc/. $R/etc/lvm/ ||
    echo "thinfleet-vm init: warning: could not make /etc/lvm writable"
fi

mkdir -p "$R$WORKTREE" 2>/dev/null
mount -t 9p -o "$NINE,cache=$WTCACHE,rw" worktree "$R$WORKTREE" ||
  fail "mount of the work tree (9p tag worktree) on $WORKTREE failed"
[ -f "$R$WORKTREE/$JOB" ] || fail "job script $WORKTREE/$JOB not found in the guest"
mkdir -p $R/tmp/home

echo "THINFLEET_VM_STAGE:$NONCE=run"
# No udev here: DM_DISABLE_UDEV=1 makes libdevmapper (dmsetup, lvm) create and remove the
# /dev/mapper/<name> nodes itself; without it dmsetup "trusts udev" and never makes them.
# Output goes through a FIFO and cat, so the command does not see a terminal (no cursor tricks on
# the serial line). Not a plain pipe: background processes the command leaves behind (an etcd it
# forgot to stop) would hold it open and the guest would hang until the host's timeout.
mkfifo /out.fifo
cat /out.fifo &
catpid=$!
env -i \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/tmp/home USER=root LOGNAME=root TMPDIR=/tmp TERM=dumb LANG=C.UTF-8 \
  THINFLEET_IN_VM=1 DM_DISABLE_UDEV=1 \
  chroot $R /bin/sh "$WORKTREE/$JOB" </dev/null >/out.fifo 2>&1
rc=$?

# Processes still chrooted into the host root now were left behind by the command: stop them, say
# which they were, and let cat drain. (Kernel threads and this script's helpers have / as root;
# `[ -ef ]` is a shell builtin, so the scan itself forks nothing.)
leftovers() {
  for p in /proc/[0-9]*; do
    [ "$p/root" -ef $R ] && echo "${p#/proc/}"
  done
}
left="$(leftovers)"
if [ -n "$left" ]; then
  names="$(for pid in $left; do cat "/proc/$pid/comm" 2>/dev/null; done | tr '\n' ' ')"
  kill -TERM $left 2>/dev/null
  for i in 1 2 3 4 5 6 7 8 9 10; do [ -n "$(leftovers)" ] || break; sleep 0.2; done
  left="$(leftovers)"
  [ -n "$left" ] && kill -KILL $left 2>/dev/null
  echo "thinfleet-vm init: stopped processes the command left running: $names"
fi
for i in $(seq 1 50); do [ -d "/proc/$catpid" ] || break; sleep 0.1; done
kill -KILL "$catpid" 2>/dev/null

sync
umount "$R$WORKTREE" 2>/dev/null
sync
echo
echo "THINFLEET_VM_EXIT:$NONCE=$rc"
off
