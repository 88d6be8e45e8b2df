#!/bin/sh
# Before the first start: the popularity model is not in the image (it has no licence). Use a
# mounted file (SELFIEBOT_POPULARITY_MODEL), or one installed earlier in the cache volume, or
# fetch the pinned file now (needs the internet once; the cache volume keeps it).
set -e
if [ -z "${SELFIEBOT_POPULARITY_MODEL:-}" ] && ! selfiebot models status >/dev/null 2>&1; then
    echo "No popularity model yet: fetching the pinned one into ${SELFIEBOT_CACHE_DIR}" >&2
    selfiebot models fetch
fi
exec "$@"
