#!/usr/bin/env bash
# Run every page on Colab's library versions (constraints-colab.txt) and check that each
# runs top to bottom (errors only in cells tagged raises-exception, nothing on stderr) and
# reaches the same verdicts as the page stores. Outputs may differ otherwise: Colab's
# older numpy, TensorFlow or scikit-image are allowed to move digits, not conclusions.
#   bash scripts/colab_stack.sh          build .venv-colab (once) and check every page
set -euo pipefail
cd "$(dirname "$0")/.."
python=${ORANGE_PYTHON:-$(command -v python3.11 || command -v python3)}
venv=.venv-colab
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
# The page-running packages of requirements.txt, at Colab's versions where Colab has them;
# the book and JupyterLab are not needed to execute pages. torch stays at the course's pin.
mapfile -t packages < <(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/\1/p' requirements.txt \
  | grep -v -x -E 'jupyterlab|jupyter-book|sphinx-exercise|sphinxcontrib-bibtex|nbconvert')
pins=()
for name in "${packages[@]}"; do
  if [ "$name" = torch ] || ! grep -q -i -x "${name}==.*" constraints-colab.txt; then
    pins+=("$(grep -i -x "${name}==.*" requirements.txt)")
  else
    pins+=("$(grep -i -x "${name}==.*" constraints-colab.txt)")
  fi
done
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${pins[@]}" -c constraints-colab.txt
"$venv/bin/python" -m pip install --quiet --no-deps -e .  # the course package, as in .venv
"$venv/bin/python" -c "import utils, numpy, tensorflow, torch
print('Colab stack: numpy', numpy.__version__, 'tensorflow', tensorflow.__version__, 'torch', torch.__version__)"
# debugpy (in Colab's ipykernel) warns about frozen modules on every kernel start.
PYDEVD_DISABLE_FILE_VALIDATION=1 "$venv/bin/python" scripts/execute_pages.py --check --jobs 2 "$@"
