#!/bin/bash
# pi-gen (runs on the build host): copies the appliance into the image, then installs it inside the
# image's chroot with files/install-appliance.sh. image/test runs this same file unchanged.
set -euo pipefail

install -d "${ROOTFS_DIR}/opt/wabbit/dist" "${ROOTFS_DIR}/opt/wabbit/bin" \
  "${ROOTFS_DIR}/etc/avahi/services" "${ROOTFS_DIR}/etc/issue.d"
rm -f "${ROOTFS_DIR}"/opt/wabbit/dist/*.whl
install -m 644 files/dist/raspberry_wabbit-*.whl "${ROOTFS_DIR}/opt/wabbit/dist/"
install -m 755 files/install-appliance.sh files/wabbit-firstboot "${ROOTFS_DIR}/opt/wabbit/bin/"
install -m 644 files/wabbit.service files/wabbit-firstboot.service \
  files/wabbit-http.socket files/wabbit-http.service "${ROOTFS_DIR}/etc/systemd/system/"
install -m 644 files/wabbit.default "${ROOTFS_DIR}/etc/default/wabbit"
install -m 644 files/avahi-wabbit.service "${ROOTFS_DIR}/etc/avahi/services/wabbit.service"

on_chroot << CHROOT
/opt/wabbit/bin/install-appliance.sh
CHROOT
