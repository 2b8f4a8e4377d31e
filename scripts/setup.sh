#!/usr/bin/env bash
# Installs everything thinfleet needs on Debian (as root), idempotently, then builds it.
#   system packages: etcd (the coordinator's store; its embedded etcd runs /usr/bin/etcd),
#   qemu + Debian's kernel + busybox (the kernel test tier boots them), thin-provisioning-tools
#   (thin_check cross-checks), dmsetup/lvm2 (benchmark baselines only; thinfleet itself never
#   runs them), a C++ toolchain for the native addons (dm-native, sd-notify), openssl (the agent's mutual-TLS tests make
#   certificates with it), systemd (its systemd-analyze verifies the agent's and the
#   coordinator's unit files in the tests), qemu-utils (qemu-img: the agent imports and exports
#   qcow2, vmdk, vhdx and vdi images through it; the kernel tier's import test uses it and qemu-io).
#   node packages: npm ci, then the native builds (packages/dm-native, packages/sd-notify) and TypeScript (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  etcd-server
  qemu-system-x86
  qemu-utils
  linux-image-amd64
  busybox-static
  thin-provisioning-tools
  dmsetup
  lvm2
  kmod
  cpio
  python3
  make
  g++
  openssl
  systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root or: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19)?1:0)')
if [[ "$node_ok" != 1 ]]; then
  echo "setup: thinfleet needs Node.js >= 20.19 (found $(node --version))" >&2
  exit 1
fi

npm ci --no-audit --no-fund
npm run build

# The commands on PATH, pointing into this tree (as root; otherwise use npx or the bin paths).
if [[ $(id -u) -eq 0 ]]; then
  ln -sf "$PWD/packages/cli/bin/thinfleet.mjs" /usr/local/bin/thinfleet
  ln -sf "$PWD/services/agent/bin/thinfleet-agent.mjs" /usr/local/bin/thinfleet-agent
  ln -sf "$PWD/services/coordinator/bin/thinfleet-coordinator.mjs" /usr/local/bin/thinfleet-coordinator
fi
echo "setup: done"
