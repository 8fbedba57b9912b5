#!/usr/bin/env bash
# Installs the Debian packages offhub builds and tests with, when missing.
# Safe to run repeatedly: it only calls apt-get when something is absent.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git
  libboost1.81-dev libssl-dev openssl
  mosquitto libmosquitto-dev mosquitto-dev
  nlohmann-json3-dev doctest-dev libsqlite3-dev sqlite3
  libcli11-dev libspdlog-dev libfmt-dev
  nodejs npm python3 python3-venv
  openjdk-17-jdk-headless maven
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodejs/npm may come from outside Debian's archive; a working node is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

if ((${#missing[@]} == 0)); then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
