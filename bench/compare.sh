#!/usr/bin/env bash
# fio (libaio) against the linux-aio load generator, alternating runs, median ratios. See compare.py --help.
exec python3 "$(dirname "$0")/compare.py" "$@"
