#!/bin/sh
# Regenerate the infeasible clinic weeks: the small ladder clinic with one defect each.
# Usage: instances/infeasible/make.sh   (IOP_SCHEDULER=/path/to/iop-scheduler to pick the binary)
set -eu
cd "$(dirname "$0")"
IOP="${IOP_SCHEDULER:-iop-scheduler}"
"$IOP" generate --preset small --name infeasible-client-days --break client-days -o client-days.json
"$IOP" generate --preset small --name infeasible-psychiatrist --break psychiatrist -o psychiatrist.json
"$IOP" generate --preset small --name infeasible-group-rooms --break group-rooms -o group-rooms.json
