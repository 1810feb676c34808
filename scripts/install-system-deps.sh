#!/usr/bin/env bash
# Debian packages the full test suite uses (none yet); safe to run again.
set -euo pipefail
exit 0
