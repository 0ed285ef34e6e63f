#!/usr/bin/env bash
# Copies the pinned front-end assets (scripts/npm/package.json: Bootstrap, htmx, Chart.js) into
# remu/static/vendor with their licences, and regenerates the communes data file. Run
# `make vendor` after a version bump.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$here/npm"
npm ci --no-audit --no-fund --silent
nm="$here/npm/node_modules"
dest="$root/remu/static/vendor"
mkdir -p "$dest/bootstrap" "$dest/htmx" "$dest/chartjs" "$root/tests/vendor"
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/css/bootstrap.min.css.map" "$dest/bootstrap/"
cp "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$dest/bootstrap/"
cp "$nm/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$nm/htmx.org/dist/htmx.min.js" "$dest/htmx/"
cp "$nm/htmx.org/LICENSE" "$dest/htmx/LICENSE"
# Chart.js (the invoicing dashboard's chart): the UMD build, which bundles @kurkle/color.
cp "$nm/chart.js/dist/chart.umd.min.js" "$nm/chart.js/dist/chart.umd.min.js.map" "$dest/chartjs/"
cp "$nm/chart.js/LICENSE.md" "$dest/chartjs/LICENSE.md"
cp "$nm/@kurkle/color/LICENSE.md" "$dest/chartjs/kurkle-color.LICENSE.md"
# axe-core only serves the accessibility tests; it is never sent to users.
cp "$nm/axe-core/axe.min.js" "$root/tests/vendor/axe.min.js"
cp "$nm/axe-core/LICENSE" "$root/tests/vendor/axe-core.LICENSE"
"${PYTHON:-python3}" "$here/build_communes.py" "$nm" "$root/remu/communes/data/communes.csv"
