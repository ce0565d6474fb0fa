#!/usr/bin/env bash
# Installs the Debian packages listed in debian-packages.txt that are missing.
# Quiet and a no-op when everything is present; never starts a system service.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
list="$top/debian-packages.txt"
[ -r "$list" ] || { echo "install-deps: cannot read $list" >&2; exit 1; }

# Strip comments and blanks: one package name per line.
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
else
    echo "install-deps: missing packages (${missing[*]}) and not root, no sudo;" \
         "install them as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

# Installing snmpd/snmptrapd would start and enable their services. Debian's
# documented way to stop maintainer scripts from starting services is
# /usr/sbin/policy-rc.d exiting 101 (invoke-rc.d(8), policy-rc.d interface).
# Only create it when there is none, and remove only the one we created.
policy=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if [ "$created_policy" -eq 1 ]; then
        "${sudo[@]}" rm -f "$policy"
    fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from issu-agent scripts/install-deps.sh\nexit 101\n' |
        "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
