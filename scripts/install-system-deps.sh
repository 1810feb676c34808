#!/usr/bin/env bash
# Debian packages the full test suite needs: pdflatex (the LaTeX export is compiled in the tests),
# Graphviz's dot (the graph export is drawn in the tests) and a headless Chromium with a font (the
# HTML export is loaded and screenshotted in the tests).
# Safe to run again; does nothing when everything is already there.
set -euo pipefail
missing=()
command -v pdflatex >/dev/null 2>&1 || missing+=(texlive-latex-base)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v chromium-headless-shell >/dev/null 2>&1 || missing+=(chromium-headless-shell fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
