#!/usr/bin/env bash
# Build the small Linux guest `cfgvirt qemu` boots: Debian's cloud kernel and a
# busybox initramfs whose init prints every PCI function's configuration space
# and resources to the serial console, then powers off.
#
# Fetched with `apt-get download` + `dpkg -x` (no install, no root needed), and
# cached under ${CFGVIRT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cfgvirt/guest}:
#   vmlinuz          the kernel
#   initramfs.cpio.gz
# Nothing here is committed to the project. Re-run with --force to rebuild.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${CFGVIRT_GUEST_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cfgvirt/guest}"
force=0
[ "${1:-}" = "--force" ] && force=1
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "$force" = 1 ] || [ ! -s "$out/vmlinuz" ]; then
  # The meta-package names the current kernel; prefer its -unsigned build (the
  # same kernel without the Secure Boot signature), else the signed one.
  kernel="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1)"
  if [ -z "$kernel" ]; then
    echo "cfgvirt guest: no linux-image-cloud-amd64 in the apt lists (Debian package; run apt-get update)" >&2
    exit 2
  fi
  ( cd "$work" && { apt-get download -q "$kernel-unsigned" >/dev/null 2>&1 || apt-get download -q "$kernel" >/dev/null; } )
  dpkg -x "$work"/linux-image-*.deb "$work/kernel"
  cp "$(ls "$work"/kernel/boot/vmlinuz-* | head -n1)" "$out/vmlinuz.tmp"
  mv "$out/vmlinuz.tmp" "$out/vmlinuz"
  echo "cfgvirt guest: kernel $kernel -> $out/vmlinuz" >&2
fi

if [ "$force" = 1 ] || [ ! -s "$out/initramfs.cpio.gz" ] || [ "$here/init" -nt "$out/initramfs.cpio.gz" ]; then
  busybox=""
  for b in /bin/busybox /usr/bin/busybox; do
    if [ -x "$b" ] && file_is_static=$( (ldd "$b" 2>&1 || true) | grep -c "not a dynamic" ) && [ "$file_is_static" -gt 0 ]; then busybox="$b"; break; fi
  done
  if [ -z "$busybox" ]; then
    ( cd "$work" && apt-get download -q busybox-static >/dev/null ) || {
      echo "cfgvirt guest: a static busybox is needed (Debian package busybox-static)" >&2; exit 2; }
    dpkg -x "$work"/busybox-static_*.deb "$work/bb"
    busybox="$work/bb/bin/busybox"
  fi
  root="$work/root"
  mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
  cp "$busybox" "$root/bin/busybox"
  cp "$here/init" "$root/init"
  chmod 755 "$root/init" "$root/bin/busybox"
  ( cd "$root" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -9 > "$out/initramfs.cpio.gz.tmp" )
  mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
  echo "cfgvirt guest: initramfs -> $out/initramfs.cpio.gz" >&2
fi
echo "$out"
