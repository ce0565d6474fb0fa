#!/bin/sh
# generate.sh - write examples/monitoring/snmp.yml (snmp_exporter's config)
# from generator.yml with Debian's prometheus-snmp-generator (package
# prometheus-snmp-exporter, 0.21) and the project's MIB. snmp.yml is never
# edited by hand: change generator.yml (and generator-0.23.yml, the same
# modules in upstream's >= 0.23 format) and run this.
#   examples/monitoring/generate.sh [OUTPUT]     (default: snmp.yml next to it)
# MIBDIRS: our mibs/ (ISSU-NEGOTIATION-MIB and the SNMPv2 modules) and
# net-snmp's, for NET-SNMP-MIB (netSnmpPlaypen, package libsnmp-base).
# ctest monitoring_snmp_yml runs it into a temp dir and compares.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
out=${1:-$here/snmp.yml}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
gen=${PROMETHEUS_SNMP_GENERATOR:-prometheus-snmp-generator}
command -v "$gen" >/dev/null || {
    echo "generate.sh: $gen not found (apt-get install prometheus-snmp-exporter)" >&2
    exit 2
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the generator reads generator.yml from the current directory
cp "$here/generator.yml" "$work/generator.yml"
export MIBDIRS="$src/mibs:/usr/share/snmp/mibs"
# a MIB that does not parse fails here (--fail-on-parse-errors would count
# the generator's own "MIB search path" line as an error)
errs=$(cd "$work" && "$gen" --log.level=error parse_errors 2>/dev/null | grep -v '^MIB search path:' || true)
if [ -n "$errs" ]; then
    printf 'generate.sh: MIB parse errors:\n%s\n' "$errs" >&2
    exit 1
fi
(cd "$work" && "$gen" --log.level=error generate -o "$work/snmp.yml") || {
    echo "generate.sh: prometheus-snmp-generator failed" >&2
    exit 1
}
mv "$work/snmp.yml" "$out"
