#!/usr/bin/env bash
# rust_binder: print one copy-paste recipe of README.md, so that the tests
# run the very lines a reader copies.
#
# Usage: scripts/readme-recipe.sh NAME [README]
#   A recipe is the first fenced block (``` ... ```) after the line
#   "<!-- recipe: NAME -->" in README (default <repo>/README.md). Prints a
#   POSIX sh script: "#!/bin/sh", "set -eu", then the block's lines as they
#   are. Exit status 1 (and a message) if there is no such recipe or it is
#   empty.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=${1:?usage: readme-recipe.sh NAME [README]}
README=${2:-$ROOT/README.md}
case "$NAME" in *[!A-Za-z0-9_-]*) echo "readme-recipe: bad name $NAME" >&2; exit 2 ;; esac

body=$(awk -v tag="<!-- recipe: $NAME -->" '
    $0 == tag { found = 1; next }
    found == 1 && /^```/ { found = 2; next }
    found == 2 && /^```/ { exit }
    found == 2 { print }
' "$README")
if [ -z "$body" ]; then
    echo "readme-recipe: no recipe \"$NAME\" in $README" >&2
    exit 1
fi
printf '#!/bin/sh\n# README.md recipe "%s", extracted by scripts/readme-recipe.sh\nset -eu\n%s\n' "$NAME" "$body"
