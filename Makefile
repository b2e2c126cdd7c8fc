# ackwb: set up, run the demo, run the tests.
#
#   make demo    set up, trace app1.qas.abc.com and write an HTML report to reports/
#   make test    set up (with the browser the tests need), then ruff and pytest
#   make lab     open the notebooks in JupyterLab (on 127.0.0.1; LAB_IP=0.0.0.0 to listen on all)
#   make bench   time a demo trace against `python -c "import ackwb"`, and the parsers at scale
#   make bench-notebooks   time each notebook against a notebook whose only cell is `pass` (minutes)
#   make clean   remove generated files (reports, caches); `make distclean` also removes .venv
#
# Python packages go into .venv (needs python3 with venv: Debian/Ubuntu package python3-venv).
# System packages come from apt-get when run as root (or with password-less sudo); otherwise
# the setup says which ones are missing and how to install them.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DOMAIN ?= app1.qas.abc.com
REPORT := reports/$(DOMAIN).html

# JupyterLab listens on loopback unless LAB_IP says otherwise, and refuses to run as root without
# --allow-root: a container or a fresh cloud machine is often root, so pass it exactly then.
LAB_IP  ?= 127.0.0.1
LAB_UID ?= $(shell id -u)
LAB_ARGS = --notebook-dir=notebooks --ip=$(LAB_IP)$(if $(filter 0,$(LAB_UID)), --allow-root)

# Debian packages, each with a shell test that is true when it is already installed.
SETUP_PACKAGES := graphviz
TEST_PACKAGES  := graphviz chromium fonts-noto-cjk dnsmasq openssh-server
have_graphviz       := command -v dot
have_chromium       := command -v chromium
have_fonts-noto-cjk := test -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
have_dnsmasq        := test -x /usr/sbin/dnsmasq
have_openssh-server := test -x /usr/sbin/sshd

# $(call install_missing,PACKAGES) installs those of PACKAGES whose test fails, running
# apt-get update first and only when something is missing. Without root it only explains.
define install_missing
	@missing=""; \
	$(foreach p,$(1),{ $(have_$(p)); } >/dev/null 2>&1 || missing="$$missing $(p)";) \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else sudo="none"; fi; \
	if [ "$$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "==> Missing system packages:$$missing"; \
	  echo "    Install them as root, for example: sudo apt-get install$$missing"; \
	  case "$$missing" in *graphviz*) echo "    Without Graphviz's dot program, diagrams are shown as DOT text and an edge table.";; esac; \
	  case "$$missing" in *chromium*) echo "    Without chromium, the browser tests (HTML reports, JupyterLab) cannot run.";; esac; \
	  exit 0; \
	fi; \
	echo "==> Installing system packages:$$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing
endef

.PHONY: setup setup-test system-packages system-packages-test venv demo test lab bench bench-notebooks clean distclean
.NOTPARALLEL:  # system packages first, then the venv

setup: system-packages venv
setup-test: system-packages-test venv

system-packages:
	$(call install_missing,$(SETUP_PACKAGES))

system-packages-test:
	$(call install_missing,$(TEST_PACKAGES))

# The venv is (re)installed when pyproject.toml changes; the stamp file records the last install.
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  echo "==> Creating $(VENV) with $(PYTHON)"; \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	    echo "'$(PYTHON) -m venv' failed: on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)"; \
	    exit 1; }; \
	fi
	@echo "==> Installing ackwb (editable) and its test tools into $(VENV)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

demo: setup
	$(BIN)/ackwb trace $(DOMAIN)
	@mkdir -p reports
	$(BIN)/ackwb report $(DOMAIN) -o $(REPORT)
	@echo "==> Report written to $(CURDIR)/$(REPORT)"

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/pytest

lab: setup
	$(BIN)/jupyter lab $(LAB_ARGS)

bench: setup
	$(BIN)/python benchmarks/trace_vs_import.py
	$(BIN)/python benchmarks/parse_scale.py

bench-notebooks: setup
	$(BIN)/python benchmarks/notebook_speed.py

clean:
	rm -rf reports build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
