#!/usr/bin/env bash
# Install Debian's SLURM (slurmctld + slurmd + client tools) and munge.
# Idempotent: does nothing when everything is already installed.
# Usage: sudo .ci/slurm/install.sh   (needs root; Debian/Ubuntu with apt)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(slurm-wlm munge procps)   # procps: pgrep in stop.sh
missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install.sh: ${pkgs[*]} already installed"
    exit 0
fi
echo "install.sh: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
for b in slurmctld slurmd munged sbatch squeue sinfo; do
    command -v "$b" >/dev/null || { echo "install.sh: $b missing after install" >&2; exit 1; }
done
echo "install.sh: done (slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm))"
