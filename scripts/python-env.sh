#!/usr/bin/env bash
# A Python environment with pyarrow and pandas, used by tests to read recorded datasets the way
# other tools do. Source it: `. scripts/python-env.sh`; it exports AUGUR_PYTHON. Created once
# beside the cargo target dir and reused.
augur_py_dir="$(dirname "${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}")/python"
if ! "$augur_py_dir/bin/python" -c "import pyarrow, pandas" >/dev/null 2>&1; then
  echo "python: creating $augur_py_dir with pyarrow and pandas"
  rm -rf "$augur_py_dir"
  python3 -m venv "$augur_py_dir"
  "$augur_py_dir/bin/pip" install --quiet --disable-pip-version-check "pyarrow>=15" "pandas>=2"
fi
export AUGUR_PYTHON="$augur_py_dir/bin/python"
echo "python: $("$AUGUR_PYTHON" -c 'import pyarrow, pandas; print("pyarrow", pyarrow.__version__, "pandas", pandas.__version__)')"
