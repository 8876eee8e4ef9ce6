#!/usr/bin/env bash
# Set up mmpoly's environment in a virtual environment at <repo>/.venv.
#
# Installs, in this order (the order matters):
#   1. torch 2.13.0 + torchvision 0.28.0 as a matching pair;
#   2. the build requirements of mmcv (numpy, ninja, wheel, setuptools<82);
#   3. mmcv 2.1.0 compiled from source with its ops (15-30 min on 2 cores the
#      first time; pip caches the wheel so later runs take seconds);
#   4. mmengine 0.10.7, mmsegmentation 1.2.2, mmpretrain 1.2.0 and the rest;
#   5. mmpoly itself, editable.
#
# Idempotent: when everything is already installed at the right versions the
# script checks that and returns in a few seconds.
#
# Environment variables:
#   PYTHON        interpreter used to create the venv (default: python3).
#   VENV          venv location (default: <repo>/.venv).
#   MMPOLY_MMCV_SPEC  pip requirement used for mmcv (default: mmcv==2.1.0).
#                 On a CUDA machine you may use OpenMMLab's prebuilt wheels
#                 instead: see README.md, "Installation on a GPU machine".
#   MAX_JOBS      parallel compile jobs for mmcv (default: number of cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${VENV:-$ROOT/.venv}"
MMCV_SPEC="${MMPOLY_MMCV_SPEC:-mmcv==2.1.0}"
VPY="$VENV/bin/python"

log() { printf '[install] %s\n' "$*" >&2; }

if [ ! -x "$VPY" ]; then
  log "creating virtual environment at $VENV"
  "$PYTHON" -m venv "$VENV"
fi

# Fast path: everything importable at the expected versions.
check_env() {
  "$VPY" - <<'EOF' 2>/dev/null
import importlib.metadata as md
want = {'torch': '2.13.0', 'torchvision': '0.28.0', 'mmcv': '2.1.0',
        'mmengine': '0.10.7', 'mmsegmentation': '1.2.2', 'mmpretrain': '1.2.0'}
for name, ver in want.items():
    got = md.version(name).split('+')[0]
    assert got == ver, (name, got, ver)
for name in ('opencv-python', 'scipy', 'scikit-image', 'ftfy', 'regex', 'pytest',
             'pytest-xdist', 'mmpoly'):
    md.version(name)
import mmcv.ops  # noqa: F401  (compiled ops present)
import mmseg.models, mmpretrain.models  # noqa: F401,E401
import mmpoly  # noqa: F401
EOF
}

if check_env; then
  log "environment at $VENV is complete"
  exit 0
fi

PIP=("$VPY" -m pip)
"${PIP[@]}" install -q --upgrade pip

have() {  # have NAME VERSION -> 0 when the distribution is installed at VERSION
  "$VPY" -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('$1').split('+')[0]=='$2' else 1)" 2>/dev/null
}

# 1. torch + torchvision as a matching pair. Some machines configure pip with a
#    local CPU-only torch wheel (find-links); taking it next to PyPI's
#    torchvision breaks at import. Ignore configured find-links for this step.
if ! have torch 2.13.0 || ! have torchvision 0.28.0 || \
   ! "$VPY" -c "import torchvision" 2>/dev/null; then
  log "installing torch 2.13.0 + torchvision 0.28.0"
  CERT_ARGS=()
  for c in "${PIP_CERT:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$c" ] && [ -f "$c" ]; then CERT_ARGS=(--cert "$c"); break; fi
  done
  PIP_FIND_LINKS= "${PIP[@]}" install --isolated "${CERT_ARGS[@]}" \
    --upgrade-strategy only-if-needed torch==2.13.0 torchvision==0.28.0
fi

# 2. mmcv's build requirements (setuptools<82 keeps pkg_resources, which the
#    mmcv build and mmengine's `mmseg::` config inheritance need).
log "installing build requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt"

# 3. mmcv with its compiled ops.
if ! have mmcv 2.1.0 || ! "$VPY" -c "import mmcv.ops" 2>/dev/null; then
  log "installing $MMCV_SPEC with ops (compiles from source if no wheel is cached; ~15-30 min on 2 cores)"
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    "${PIP[@]}" install --no-build-isolation "$MMCV_SPEC"
fi

# 4. The OpenMMLab libraries and the rest.
log "installing runtime and test requirements"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"

# 5. mmpoly, editable.
log "installing mmpoly (editable)"
"${PIP[@]}" install -q --no-build-isolation --no-deps -e "$ROOT"

if ! check_env; then
  log "ERROR: the environment at $VENV is still incomplete; see the messages above"
  exit 1
fi
log "done: $VENV"
