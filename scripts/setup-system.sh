#!/usr/bin/env bash
# Installs the system packages piiscan needs (Tesseract with eng/deu/fra/spa, and mar/ukr/chi_tra for the names
# identity documents print in Devanagari, Cyrillic or Chinese; fonts, Chromium for tests) when running as root on
# Debian; otherwise names the exact command. Idempotent and quiet when done.
set -euo pipefail
packages=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-spa
  tesseract-ocr-mar tesseract-ocr-ukr tesseract-ocr-chi-tra fonts-dejavu-core
  chromium)  # chromium: the reviewer pages' browser test (driven by Playwright, never downloaded by it)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "piiscan needs these system packages: ${missing[*]}" >&2
  echo "run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
