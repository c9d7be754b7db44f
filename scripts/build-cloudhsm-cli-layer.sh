#!/usr/bin/env bash
# Builds the CloudHSM CLI Lambda layer from AWS's package, for the functions' runtime: nodejs22.x on arm64, whose OS is
# Amazon Linux 2023. Run by a user before deploying (it downloads AWS's package; never run in tests or CI):
#
#   scripts/build-cloudhsm-cli-layer.sh [out.zip]        # default: cloudhsm-cli-layer.zip
#   aws lambda publish-layer-version --layer-name cloudhsm-cli --zip-file fileb://cloudhsm-cli-layer.zip \
#     --compatible-runtimes nodejs22.x --compatible-architectures arm64
#
# Package: "Install and configure CloudHSM CLI" (gs_cloudhsm_cli-install.html) gives, for Amazon Linux 2023 on ARM64,
# https://s3.amazonaws.com/cloudhsmv2-software/CloudHsmClient/Amzn2023/cloudhsm-cli-latest.amzn2023.aarch64.rpm
# ("AWS CloudHSM latest Client SDK release", latest-releases.html, lists its SHA256; set CLOUDHSM_CLI_SHA256 to check it).
#
# Layout (a layer is unpacked under /opt, read-only in Lambda):
#   /opt/cloudhsm/bin, lib ...     the package's files
#   /opt/cloudhsm/etc.dist/        the package's configuration, logging set to the terminal (standard error) here
#   /opt/cloudhsm/etc -> /tmp/cloudhsm/etc, /opt/cloudhsm/run -> /tmp/cloudhsm/run
# The CloudHSM docs name no option or variable that moves the CLI's configuration out of /opt/cloudhsm/etc
# (configure-tool-params5.html, cluster-connect.html), so the links send its reads and writes to /tmp, the only
# writable directory in Lambda; the adapter seeds /tmp/cloudhsm/etc from etc.dist and adds each cluster at run time
# (src/adapters/cloudhsm-cli-config.ts). That the CLI follows these links is not documented: check it with the
# deployed stack's self-check (README "The CloudHSM CLI in AWS") before relying on it.
set -euo pipefail

out="$(realpath -m "${1:-cloudhsm-cli-layer.zip}")"
rpm_url="https://s3.amazonaws.com/cloudhsmv2-software/CloudHsmClient/Amzn2023/cloudhsm-cli-latest.amzn2023.aarch64.rpm"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v docker >/dev/null || { echo "docker is required (an arm64 Amazon Linux 2023 container builds the layer)" >&2; exit 1; }

docker run --rm --platform linux/arm64 -v "$work:/work" -e RPM_URL="$rpm_url" -e SHA256="${CLOUDHSM_CLI_SHA256:-}" \
  public.ecr.aws/amazonlinux/amazonlinux:2023 bash -euo pipefail -c '
    dnf install -y -q cpio zip >/dev/null
    cd /work
    curl -fsSL -o cli.rpm "$RPM_URL"
    if [ -n "$SHA256" ]; then echo "$SHA256  cli.rpm" | sha256sum -c -; fi
    mkdir root && (cd root && rpm2cpio ../cli.rpm | cpio -idm --quiet)
    # Logging to the terminal: the default log file lives under /opt, which Lambda does not let a function write
    # (configure-tool-syntax5.html: --log-type <LOG TYPE> [possible values: term, file]).
    mkdir -p /opt && cp -a root/opt/cloudhsm /opt/
    /opt/cloudhsm/bin/configure-cli --log-type term --log-level warn
    mkdir -p layer/cloudhsm
    cp -a /opt/cloudhsm/. layer/cloudhsm/
    mv layer/cloudhsm/etc layer/cloudhsm/etc.dist
    rm -rf layer/cloudhsm/run
    ln -s /tmp/cloudhsm/etc layer/cloudhsm/etc
    ln -s /tmp/cloudhsm/run layer/cloudhsm/run
    (cd layer && zip -qry /work/layer.zip cloudhsm)
  '
cp "$work/layer.zip" "$out"
echo "wrote $out"
