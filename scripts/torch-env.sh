#!/usr/bin/env bash
# The Python for python/augur_torch (Augur's model in PyTorch): Debian's python3-torch (CPU,
# with OpenBLAS; `scripts/install-deps.sh --tests` installs both), seen through a venv that adds pyarrow
# for reading datasets. PyPI's torch wheels pull gigabytes of CUDA; Debian's is 120 MB. Source
# it: `. scripts/torch-env.sh`; it exports AUGUR_TORCH_PYTHON. Created once beside the cargo
# target dir and reused.
augur_torch_dir="$(dirname "${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}")/torch-python"
if /usr/bin/python3 -c "import torch, numpy" >/dev/null 2>&1; then
  if ! "$augur_torch_dir/bin/python" -c "import torch, numpy, pyarrow.parquet" >/dev/null 2>&1; then
    echo "torch: creating $augur_torch_dir (Debian's PyTorch, and pyarrow)"
    rm -rf "$augur_torch_dir"
    /usr/bin/python3 -m venv --system-site-packages "$augur_torch_dir"
    # Against Debian's numpy 1.x, which its torch was built for: pip must not bring numpy 2.
    "$augur_torch_dir/bin/pip" install --quiet --disable-pip-version-check "pyarrow>=15,<21" "numpy<2"
  fi
  export AUGUR_TORCH_PYTHON="$augur_torch_dir/bin/python"
  echo "torch: $("$AUGUR_TORCH_PYTHON" -c 'import torch, numpy, pyarrow; print("torch", torch.__version__, "numpy", numpy.__version__, "pyarrow", pyarrow.__version__)')"
else
  echo "torch: Debian's python3-torch is not installed (scripts/install-deps.sh --tests installs it); the PyTorch tests fail under check.sh"
  unset AUGUR_TORCH_PYTHON
fi
