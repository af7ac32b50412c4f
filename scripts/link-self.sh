#!/usr/bin/env bash
# Makes this checkout resolvable as `pulumi-virtnet` from its own folder, as an installed package would be,
# so the root Pulumi.yaml example can run: Pulumi's plugin requires the provider by package name.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p node_modules
ln -sfn .. node_modules/pulumi-virtnet
echo "node_modules/pulumi-virtnet -> $(pwd)"
