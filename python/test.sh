#!/usr/bin/env bash
# The Spark equality test, the review page's browser test and the record round trips
# (Parquet and JSON Lines written back, opened with pyarrow, `datasets` and jq): builds the wheel with
# maturin, installs it with PySpark and Playwright in a virtualenv, and runs python/tests
# against the release `zhclean` binary. Needs Java 17+, Python 3.9+ and Chromium (.ci/run
# installs Debian's); everything else comes from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${ZHCLEAN_SPARK_VENV:-target/spark-venv}
command -v java >/dev/null || { echo "python/test.sh: Java 17+ is needed for Spark" >&2; exit 1; }
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check \
  "pyspark>=4.0,<5" numpy "pandas<3" "pyarrow>=14" "maturin>=1.9,<2" pytest "playwright>=1.40,<2" \
  "datasets>=2.14"
cargo build --release --bin zhclean
rm -rf target/wheels
"$VENV/bin/maturin" build --release -m python/Cargo.toml -o target/wheels -q
"$VENV/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/zhclean-*.whl
export PYSPARK_PYTHON="$(cd "$VENV" && pwd)/bin/python"
export PYSPARK_DRIVER_PYTHON="$PYSPARK_PYTHON"
export ZHCLEAN_BIN="$PWD/target/release/zhclean"
# Run from outside python/ so the installed wheel (not the source folder) is imported.
cd target && "$PYSPARK_PYTHON" -m pytest -q -p no:cacheprovider ../python/tests "$@"
