#!/bin/sh
# test_monitoring_rules.sh SOURCE_DIR - the Prometheus side of
# examples/monitoring checked offline by promtool (Debian: prometheus):
# the alert rules parse, their unit tests (tests/*.yml) pass, and
# prometheus.yml is a valid configuration once its paths point at the tree.
set -eu
src=$1
mon=$src/examples/monitoring
command -v promtool >/dev/null ||
    { echo "promtool not found: apt-get install prometheus (debian-packages.txt)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

promtool check rules "$mon/issu-alerts.yml"
cd "$mon/tests"
for t in *.yml; do
    promtool test rules "$t"
done
# the installed paths of prometheus.yml, pointed at the example files
mkdir "$tmp/targets"
cp "$mon/targets/"*.yml "$tmp/targets/"
sed -e "s#/etc/prometheus/issu-alerts.yml#$mon/issu-alerts.yml#" \
    -e "s#/etc/prometheus/issu-targets/#$tmp/targets/#" \
    "$mon/prometheus.yml" >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
