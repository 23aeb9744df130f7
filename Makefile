# Two commands for a fresh machine:
#   make demo   — virtual environment, every dependency, Fashion-MNIST, then sample 64 images on the CPU
#   make test   — the same set-up plus the dev extras, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
TORCH  := torch==2.14.1 torchvision==0.29.1

.PHONY: demo test lint setup setup-dev fashion-mnist browser wordnet js clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)

setup: $(BIN)/python fashion-mnist
	$(BIN)/pip install -q -e ".[all]"

setup-dev: $(BIN)/python fashion-mnist browser wordnet js
	$(BIN)/pip install -q -e ".[dev]"

# The Debian package puts the IDX files in /usr/share/datasets/fashion-mnist; skipped where apt is absent
# (genvision then looks in $$GENVISION_HOME/data/fashion-mnist or downloads with checksums).
fashion-mnist:
	@if [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; \
	else echo "apt-get not available: put the Fashion-MNIST IDX files in ~/.cache/genvision/data/fashion-mnist"; fi

# Debian's chromium for the web app's browser tests (tests/app drive it with Playwright, whose own browser
# downloads are not used); skipped where apt is absent.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; \
	else echo "apt-get not available: install chromium as /usr/bin/chromium for tests/app"; fi

# Debian's WordNet 3.0, for the test that the shipped garment lexicon is what scripts/build_garment_lexicon.py
# builds from it (genvision itself never reads WordNet); skipped where apt is absent.
wordnet:
	@if [ -f /usr/share/wordnet/data.noun ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wordnet-base >/dev/null; \
	else echo "apt-get not available: tests check the garment lexicon against its roots only"; fi

# The docs site's browser libraries, pinned in package.json / package-lock.json: KaTeX renders its maths and
# onnxruntime-web runs the playground's models, both shipped inside the site (docs/hooks/vendor_assets.py).
js: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq npm >/dev/null; fi
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

demo: setup
	$(BIN)/genvision sample fashion-ddpm -n 64 --seed 0 --device cpu \
		--out $(OUT)/fashion_ddpm_samples.png --npy $(OUT)/fashion_ddpm_samples.npy

# Lint and format check first (ruff, line length 110, configured in pyproject.toml), then every test.
test: setup-dev lint
	GENVISION_OFFLINE=1 OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest tests -q -p no:cacheprovider --timeout=900 -n 2

lint: setup-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The documentation site (mkdocs, Material theme) into build/site; warnings are errors. The tutorials are executed
# (about 3 minutes on 2 cores; GENVISION_DOCS_EXECUTE=false skips them) and the maths library is shipped inside.
.PHONY: docs
docs: setup-dev
	NO_MKDOCS_2_WARNING=1 GENVISION_OFFLINE=1 $(BIN)/mkdocs build --strict --site-dir build/site

clean:
	rm -rf $(OUT) .pytest_cache
