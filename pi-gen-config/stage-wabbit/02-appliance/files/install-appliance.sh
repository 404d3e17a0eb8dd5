#!/bin/bash
# Installs the Raspberry Wabbit appliance into the system it runs in: the image's chroot, under pi-gen
# (02-appliance/00-run.sh) and under image/test alike. Expects the project's wheel in /opt/wabbit/dist.
#   - user `wabbit` (no login) in the gpio, video, audio and render groups
#   - /opt/wabbit/venv: a venv over the system python3 (--system-site-packages, so Raspberry Pi OS's
#     python3-picamera2 and python3-lgpio are importable) with the appliance and its pinned wheels
#   - /var/lib/wabbit: its data (models, logs, token); the token is made on first boot, never here
set -euo pipefail
prefix=/opt/wabbit

for group in gpio video audio render; do
  getent group "$group" >/dev/null || groupadd --system "$group"
done
if ! id -u wabbit >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/wabbit --no-create-home \
    --shell /usr/sbin/nologin --comment "Raspberry Wabbit appliance" wabbit
fi
usermod --append --groups gpio,video,audio,render wabbit
install -d -o wabbit -g wabbit -m 0750 /var/lib/wabbit
rm -f /var/lib/wabbit/token

wheels=("$prefix"/dist/raspberry_wabbit-*.whl)
if [ "${#wheels[@]}" -ne 1 ] || [ ! -f "${wheels[0]}" ]; then
  echo "install-appliance: need exactly one wheel in $prefix/dist" >&2
  exit 1
fi
rm -rf "$prefix/venv"
python3 -m venv --system-site-packages "$prefix/venv"
"$prefix/venv/bin/pip" install --no-cache-dir --disable-pip-version-check --progress-bar off \
  "${wheels[0]}[devices,net]"
"$prefix/venv/bin/wabbit" --help >/dev/null
ln -sf "$prefix/venv/bin/wabbit" /usr/local/bin/wabbit
echo "install-appliance: $("$prefix/venv/bin/python" -c 'import importlib.metadata as m; print("raspberry-wabbit", m.version("raspberry-wabbit"))')"
