# shellcheck shell=bash
# Debian package installation shared by scripts/setup.sh and scripts/k8s-build.sh (sourced).

# Prints, one per line, the packages of "$@" that are not installed.
apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# Installs "$@" non-interactively (sudo when not root). There is no init system in containers
# and CI: a temporary policy-rc.d keeps packages (prometheus, etcd-server) from starting
# services. Another apt run (a parallel setup) may hold the lock: wait for it instead of failing.
apt_install() {
  local sudo="" policy_created=0 rc=0
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq || rc=$?
  if [ "$rc" -eq 0 ]; then
    $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" \
      >/dev/null || rc=$?
  fi
  if [ "$policy_created" = 1 ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
  return "$rc"
}
