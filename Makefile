# Atelier: `make demo` trains LeNet-5 on Fashion-MNIST; `make test` runs the test suite.
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev libdnnl-dev libreadline-dev zlib1g-dev libfftw3-dev gnuplot-nox dataset-fashion-mnist \
  libzmq3-dev tmux python3 python3-venv man-db bash slurm-wlm munge
ATELIER := .build/release/atelier

.PHONY: setup build test fuzz scenario jupyter sweeps replay-cache install uninstall install-check man demo bench format docs clean

## setup: install the Debian packages Atelier needs that are missing
setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ]; then \
	  echo "Atelier needs these Debian packages:$$missing"; \
	  echo "Install them with: sudo apt-get update && sudo apt-get install -y$$missing"; \
	  exit 1; \
	fi; \
	echo "installing$$missing"; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing

## build: the release executable at .build/release/atelier
build: setup
	$(SWIFT) build -c release

## test: every test target (kernels, tensors, data, models, language), one test at a time:
## on two cores running them side by side saves nothing, and each kernel call already uses both
test: setup
	$(SWIFT) test --no-parallel
	$(MAKE) fuzz
	$(MAKE) scenario
	$(MAKE) jupyter
	$(MAKE) sweeps
	$(MAKE) replay-cache
	$(MAKE) install-check

## scenario: the REPL driven in a 160x50 tmux window, its screens checked (Tests/Scenarios)
scenario: setup
	$(SWIFT) build -c release --product atelier
	Tests/Scenarios/prompt.sh $(ATELIER)

## jupyter: the kernel driven by real clients, nbclient and jupyter_client, installed from
## PyPI into .jupyter-venv once (Tests/Jupyter)
jupyter: setup
	$(SWIFT) build -c release --product atelier
	Tests/Jupyter/jupyter.sh $(ATELIER)

## install: the binary, standard library, example notebooks, shell completions and manual
## pages under PREFIX (DESTDIR for packagers); the files written are listed in
## PREFIX/share/atelier/installed-files, which `make uninstall` removes exactly
PREFIX ?= /usr/local
DESTDIR ?=
ROOT := $(DESTDIR)$(PREFIX)
MANIFEST := $(ROOT)/share/atelier/installed-files
install: build man
	@set -e; files=""; \
	put() { install -D -m "$$1" "$$2" "$(ROOT)/$$3"; files="$$files $(PREFIX)/$$3"; }; \
	put 755 $(ATELIER) bin/atelier; \
	for f in stdlib/*.atl; do put 644 "$$f" "share/atelier/$$f"; done; \
	for f in notebooks/*.atl; do put 644 "$$f" "share/atelier/$$f"; done; \
	put 644 .build/completions/atelier.bash share/bash-completion/completions/atelier; \
	put 644 .build/completions/_atelier share/zsh/site-functions/_atelier; \
	put 644 .build/completions/atelier.fish share/fish/vendor_completions.d/atelier.fish; \
	put 644 .build/man/atelier.1 share/man/man1/atelier.1; \
	put 644 .build/man/atelier-language.7 share/man/man7/atelier-language.7; \
	printf '%s\n' $$files "$(PREFIX)/share/atelier/installed-files" > "$(MANIFEST)"; \
	echo "installed Atelier in $(ROOT): bin/atelier, share/atelier, completions, man pages"

## uninstall: removes the files `make install` listed, then the folders it leaves empty
uninstall:
	@set -e; test -f "$(MANIFEST)" || { echo "nothing to uninstall: no $(MANIFEST)"; exit 0; }; \
	files=$$(cat "$(MANIFEST)"); \
	for f in $$files; do rm -f "$(DESTDIR)$$f"; done; \
	cd "$(DESTDIR)/"; for f in $$files; do rmdir -p --ignore-fail-on-non-empty "$$(dirname "$${f#/}")" 2>/dev/null || true; done; \
	echo "removed Atelier from $(ROOT)"

## man: atelier.1 from the command definitions, atelier-language.7 from the builtin
## registry; completion scripts for bash, zsh and fish
man: build
	$(SWIFT) build -c release --product generate-manual
	mkdir -p .build/man .build/completions
	.build/release/generate-manual $(ATELIER) -o .build/man
	$(ATELIER) docs --man > .build/man/atelier-language.7
	for shell in bash zsh fish; do $(ATELIER) --generate-completion-script $$shell > .build/completions/atelier.$$shell; done
	mv .build/completions/atelier.zsh .build/completions/_atelier

## install-check: installs into a scratch root and uses it as a person would (Tests/Install)
install-check: build
	Tests/Install/install.sh

## sweeps: local sweeps (Ctrl-C, resuming, a changed notebook) and a sweep on a real
## single-node Slurm cluster started from Debian's slurm-wlm and munge (Tests/Sweep)
sweeps: setup
	$(SWIFT) build -c release --product atelier
	Tests/Sweep/local.sh $(ATELIER)
	Tests/Sweep/slurm.sh $(ATELIER)

## replay-cache: replays that restore what did not change (Tests/Cache): a second replay,
## an edited title, a changed net, a damaged entry, a size limit, two replays at once
replay-cache: setup
	$(SWIFT) build -c release --product atelier
	Tests/Cache/cache.sh $(ATELIER)

## fuzz: the fuzzers against the release build, as people run it: programs, files
## someone might send, and the parallel loop with more threads than cores
## (eight threads on two cores that spin for each other only burn their time slices: a
## short spin hands work over through the kernel, which also preempts workers more often)
FUZZ_ENV := ATELIER_MEMORY_LIMIT=2G
fuzz: setup
	$(SWIFT) build -c release --product atelier-fuzz
	GOMP_SPINCOUNT=1000 ATELIER_THREADS=8 $(FUZZ_ENV) .build/release/atelier-fuzz pool 100000
	$(FUZZ_ENV) .build/release/atelier-fuzz language 10000
	$(FUZZ_ENV) .build/release/atelier-fuzz files 3000
	$(FUZZ_ENV) .build/release/atelier-fuzz messages 20000

## demo: train LeNet-5 for two epochs on the real Fashion-MNIST
demo: build
	$(ATELIER) run notebooks/quickstart.atl

## bench: the conv nets trained and run in Atelier and in PyTorch, side by side (bench/BENCHMARKS.md)
bench: build
	bench/convnets

## format: Swift by swift format (.swift-format), C by clang-format (.clang-format)
format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift
	clang-format -i Sources/CKernel/*.c Sources/CKernel/include/*.h

clean:
	rm -rf .build out

## docs: regenerate docs/LANGUAGE.md from the builtin registry
docs:
	$(SWIFT) build
	.build/debug/atelier docs > docs/LANGUAGE.md
