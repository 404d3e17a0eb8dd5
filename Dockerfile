# Raspberry Wabbit: the appliance in a container.
#
#   generic (x86_64 or arm64):   docker build -t raspberry-wabbit .
#   on a Raspberry Pi (arm64):   docker build --build-arg RPI=1 -t raspberry-wabbit .
#   run:                         see docker/compose.yaml, or README "Run it in Docker"
#
# Debian's own python3 on purpose: the Raspberry Pi apt packages (python3-picamera2, libcamera's
# bindings, python3-lgpio) are built for it, and the venv sees them (--system-site-packages).
# RPI=1 enables the Raspberry Pi apt repository and installs those packages; RPI=0 leaves it off.

ARG DEBIAN_RELEASE=trixie
# The base image; the tests point it at a locally made arm64 Debian for the emulated build.
ARG DEBIAN_IMAGE=debian:${DEBIAN_RELEASE}-slim

# --- the Raspberry Pi archive key (RPI=1 only), checked against its published fingerprint ---------
FROM ${DEBIAN_IMAGE} AS rpi-keyring
ARG RPI=0
ARG RPI_KEY_URL=https://archive.raspberrypi.com/debian/raspberrypi.gpg.key
ARG RPI_KEY_FINGERPRINT=CF8A1AF502A2AA2D763BAE7E82B129927FA3303E
RUN set -eu; mkdir -p /out; \
    if [ "$RPI" = 1 ]; then \
      apt-get update -qq; \
      apt-get install -y -qq --no-install-recommends ca-certificates curl gnupg >/dev/null; \
      curl -fsSL "$RPI_KEY_URL" -o /tmp/key; \
      if grep -q -- '-----BEGIN PGP' /tmp/key; then gpg --dearmor < /tmp/key; else cat /tmp/key; fi \
        > /out/raspberrypi-archive-keyring.pgp; \
      gpg --show-keys --with-colons /out/raspberrypi-archive-keyring.pgp \
        | grep -q "^fpr:::::::::${RPI_KEY_FINGERPRINT}:"; \
    fi

# --- what both the builder and the runtime stage need: Debian's python3 and system libraries ------
FROM ${DEBIAN_IMAGE} AS system
ARG DEBIAN_RELEASE
ARG RPI=0
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
COPY --from=rpi-keyring /out/ /usr/share/keyrings/
RUN set -eu; \
    extra=""; \
    if [ "$RPI" = 1 ]; then \
      printf 'Types: deb\nURIs: http://archive.raspberrypi.com/debian/\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/raspberrypi-archive-keyring.pgp\n' \
        "$DEBIAN_RELEASE" > /etc/apt/sources.list.d/raspi.sources; \
      extra="python3-picamera2 python3-lgpio"; \
    fi; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends ca-certificates python3 libportaudio2 $extra >/dev/null; \
    rm -rf /var/lib/apt/lists/*

# --- builder: a venv with the project and its pinned dependencies --------------------------------
FROM system AS builder
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv --system-site-packages /opt/wabbit/venv
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# The pinned dependencies first (their own layer, so a code change does not download them again) ...
COPY pyproject.toml README.md* /src/
RUN python3 -c "import tomllib; p = tomllib.load(open('/src/pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['devices'] + p['optional-dependencies']['net']))" \
    > /tmp/requirements.txt \
    && /opt/wabbit/venv/bin/pip install -q -r /tmp/requirements.txt
# ... then the project itself.
COPY build_stubs.py /src/build_stubs.py
COPY appliance /src/appliance
COPY featurizers /src/featurizers
COPY demos /src/demos
COPY kit/bom.yaml /src/kit/bom.yaml
RUN /opt/wabbit/venv/bin/pip install -q "/src[devices,net]" \
    && /opt/wabbit/venv/bin/wabbit --help >/dev/null

# --- runtime ---------------------------------------------------------------------------------------
FROM system AS runtime
# The container's groups for the Pi's device nodes. Raspberry Pi OS gives audio 29 and video 44
# (Debian's fixed ids); gpio and render are made at install time, so match them to the host with
# --group-add (docker/pi-devices prints the host's numbers) or these build arguments.
ARG GPIO_GID=997
ARG RENDER_GID=993
ARG WABBIT_UID=10001
RUN set -eu; \
    getent group gpio >/dev/null || groupadd --system --gid "$GPIO_GID" gpio; \
    getent group render >/dev/null || groupadd --system --gid "$RENDER_GID" render; \
    groupadd --system --gid "$WABBIT_UID" wabbit; \
    useradd --system --uid "$WABBIT_UID" --gid wabbit --groups gpio,video,audio,render \
      --home-dir /var/lib/wabbit --shell /usr/sbin/nologin wabbit; \
    install -d -o wabbit -g wabbit -m 0700 /var/lib/wabbit
COPY --from=builder /opt/wabbit/venv /opt/wabbit/venv
COPY docker/entrypoint.sh /usr/local/bin/wabbit-entrypoint
ENV PATH=/opt/wabbit/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    OPENBLAS_NUM_THREADS=1 \
    WABBIT_HOST=0.0.0.0 \
    WABBIT_PORT=8080
# Models, logs and the API token live here; keep it on a named volume.
VOLUME ["/var/lib/wabbit"]
USER wabbit
WORKDIR /var/lib/wabbit
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['WABBIT_PORT'], timeout=4)"]
# No arguments (or only options): `wabbit run` on $WABBIT_HOST:$WABBIT_PORT with the data in the
# volume. A command (`simulate ...`, `config ...`) runs that wabbit command instead.
ENTRYPOINT ["wabbit-entrypoint"]
