#!/usr/bin/env bash
# Runs this example as an integrator would: against the package as `npm pack` makes it, installed
# into a copy of this folder (never a path into posdecom's source). Run from the repository root
# after a build (npm test builds): bash examples/integrator/run-from-tarball.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(npm pack --ignore-scripts --silent --pack-destination "$work")"
cp -r examples/integrator "$work/integrator"
rm -rf "$work/integrator/node_modules"
mv "$work/$tarball" "$work/integrator/posdecom.tgz"
cd "$work/integrator"
npm install --no-audit --no-fund --prefer-offline --loglevel=error
npm test
