#!/bin/sh
# Regenerate the ladder of generated clinic weeks. Every run gives byte-identical files.
# Usage: instances/ladder/make.sh   (IOP_SCHEDULER=/path/to/iop-scheduler to pick the binary)
set -eu
cd "$(dirname "$0")"
IOP="${IOP_SCHEDULER:-iop-scheduler}"
"$IOP" generate --preset tiny --name ladder-tiny -o tiny.json
"$IOP" generate --preset small --name ladder-small -o small.json
"$IOP" generate --preset medium --name ladder-medium -o medium.json
"$IOP" generate --preset large --name ladder-large -o large.json
"$IOP" generate --preset xlarge --name ladder-xlarge -o xlarge.json
