# shellcheck shell=bash
# Helpers shared by image/build and image/test (sourced, not run).

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$IMAGE_DIR")
STAGE_SRC="$REPO_DIR/pi-gen-config/stage-wabbit"
# shellcheck disable=SC2034  # used by the scripts that source this file
CACHE_DIR="${WABBIT_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wabbit-image}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf '[%(%T)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Phase timing: `phase NAME` starts one (ending the previous), `phase_end` ends the last one,
# `phase_summary` prints every phase's duration.
PHASES=()
PHASE_NAME=""
PHASE_START=0
phase() {
  phase_end
  PHASE_NAME=$1
  PHASE_START=$SECONDS
  log "=== $PHASE_NAME"
}
phase_end() {
  [ -n "$PHASE_NAME" ] || return 0
  local took=$((SECONDS - PHASE_START))
  PHASES+=("$(printf '%-34s %5ss' "$PHASE_NAME" "$took")")
  log "=== $PHASE_NAME: ${took}s"
  PHASE_NAME=""
}
phase_summary() {
  phase_end
  local line
  log "durations:"
  for line in "${PHASES[@]}"; do log "  $line"; done
  log "  $(printf '%-34s %5ss' total "$SECONDS")"
}

need_root() { [ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mounts need it)"; }

# Installs the Debian packages that are missing, by name.
need_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed' \
      || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# Makes sure arm64 binaries run here (qemu-user-static registers them with the F flag).
need_arm64_emulation() {
  [ "$(dpkg --print-architecture)" = arm64 ] && return 0
  need_packages qemu-user-static binfmt-support
  [ -e /proc/sys/fs/binfmt_misc/status ] \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || die "no aarch64 binfmt handler"
}

# Builds the project's wheel into DIR (one file, raspberry_wabbit-*.whl).
build_wheel() {
  local out=$1 python=${PYTHON:-python3}
  rm -rf "$out"
  mkdir -p "$out"
  "$python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$out" "$REPO_DIR" >&2
  compgen -G "$out/raspberry_wabbit-*.whl" >/dev/null || die "no wheel built in $out"
}

# Copies the custom stage to DIR and puts the wheel where its 02-appliance/00-run.sh expects it.
stage_copy_with_wheel() {
  local dest=$1 wheel_dir=$2
  rm -rf "$dest"
  cp -a "$STAGE_SRC" "$dest"
  mkdir -p "$dest/02-appliance/files/dist"
  cp "$wheel_dir"/raspberry_wabbit-*.whl "$dest/02-appliance/files/dist/"
}

# pi-gen's on_chroot, for image/test: runs `bash -e ARGS` (stdin passed on) inside ROOTFS_DIR with
# proc, dev, sys, run and tmp mounted in a private mount namespace, so every mount vanishes when the
# command ends and removing the rootfs later can never reach the host's /dev.
on_chroot() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  unshare --mount --propagation private -- bash -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount --bind /sys "$root/sys"
    mount -t tmpfs tmpfs "$root/run"
    mount -t tmpfs tmpfs "$root/tmp"
    exec chroot "$root" /bin/bash -e "$@"
  ' on_chroot "$ROOTFS_DIR" "$@"
}

# Runs the sub-stages of a pi-gen stage directory the way pi-gen's build.sh does (run_sub_stage):
# in each sub-stage, for NN = 00..99: NN-debconf, NN-packages-nr, NN-packages, NN-run.sh (if
# executable), NN-run-chroot.sh. Sub-stages with a SKIP file are skipped, as in pi-gen; so are
# those marked NEEDS_RPI_ARCHIVE, whose packages only the Raspberry Pi archive carries.
run_pi_gen_stage() {
  local stage=$1 sub i packages
  export ROOTFS_DIR DEBIAN_FRONTEND=noninteractive
  export -f on_chroot log
  for sub in "$stage"/*/; do
    sub=${sub%/}
    if [ -f "$sub/SKIP" ]; then log "skip $sub (SKIP)"; continue; fi
    if [ -f "$sub/NEEDS_RPI_ARCHIVE" ]; then
      log "skip $(basename "$sub"): its packages are only in the Raspberry Pi archive"
      continue
    fi
    log "Begin $(basename "$sub")"
    pushd "$sub" >/dev/null || return
    for i in {00..99}; do
      if [ -f "$i-debconf" ]; then
        on_chroot -c 'debconf-set-selections' < "$i-debconf"
      fi
      if [ -f "$i-packages-nr" ]; then
        packages=$(sed -e 's/#.*//' "$i-packages-nr" | xargs)
        [ -z "$packages" ] || on_chroot <<< "apt-get -o Acquire::Retries=3 install --no-install-recommends -y $packages"
      fi
      if [ -f "$i-packages" ]; then
        packages=$(sed -e 's/#.*//' "$i-packages" | xargs)
        [ -z "$packages" ] || on_chroot <<< "apt-get -o Acquire::Retries=3 install -y $packages"
      fi
      [ ! -d "$i-patches" ] || die "$sub/$i-patches: quilt patches are not emulated here"
      if [ -x "$i-run.sh" ]; then "./$i-run.sh"; fi
      if [ -f "$i-run-chroot.sh" ]; then on_chroot < "$i-run-chroot.sh"; fi
    done
    popd >/dev/null || return
    log "End $(basename "$sub")"
  done
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
