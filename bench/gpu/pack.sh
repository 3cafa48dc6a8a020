#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs into bench/gpu/payload/webgrad-gpu.tar.xz (see bench/gpu/pack.mjs and README.md).
# Run in the repository, with its node_modules installed (npm ci), on Linux x86-64.
set -eu
cd "$(dirname "$0")/../.."
exec node bench/gpu/pack.mjs "$@"
