# make demo / make test work on a fresh Debian 12 machine with only Python 3.11.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-liberation2 fonts-crosextra-carlito

.PHONY: demo test system venv lint bench clean readme templates

$(BIN)/billing: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/billing

venv: $(BIN)/billing

# LibreOffice, poppler and fonts: installed with apt when root, otherwise the exact command is printed.
system:
	@if command -v soffice >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing $(APT_PACKAGES) with apt..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	else \
		echo "LibreOffice/poppler missing. To get PDFs and the LibreOffice tests, run:"; \
		echo "  sudo apt-get install -y --no-install-recommends $(APT_PACKAGES)"; \
	fi

demo: venv system
	$(BIN)/billing demo --out demo-output

test: venv system
	$(BIN)/python -m pytest

readme: venv
	$(BIN)/python -m billing_addin.reference

# The blank workbook and the letter templates that ship, rebuilt from the schema and the template builder.
templates: venv
	rm -f workbook_templates/billing.xlsx
	$(BIN)/billing new workbook_templates/billing.xlsx
	$(BIN)/python letter_templates/build_templates.py

lint: venv
	$(BIN)/ruff check billing_addin tests bench
	$(BIN)/ruff format --check billing_addin tests bench

bench: venv
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/writeback.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
