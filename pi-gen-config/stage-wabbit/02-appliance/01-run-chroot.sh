#!/bin/bash
# pi-gen (runs inside the image's chroot): start the appliance at boot.
set -euo pipefail
systemctl enable wabbit-firstboot.service wabbit.service wabbit-http.socket avahi-daemon.service
