# Atelier: `make demo` trains LeNet-5 on Fashion-MNIST; `make test` runs the test suite.
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev libdnnl-dev libreadline-dev zlib1g-dev gnuplot-nox dataset-fashion-mnist \
  tmux python3 libzmq3-dev python3-venv
ATELIER := .build/release/atelier

.PHONY: setup build test fuzz scenario jupyter demo bench format docs clean

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

## scenario: the REPL driven in a 160x50 tmux window, its screens checked (Tests/Scenarios)
scenario: setup
	$(SWIFT) build -c release --product atelier
	Tests/Scenarios/prompt.sh $(ATELIER)

## jupyter: the kernel driven by real clients, nbclient and jupyter_client, installed from
## PyPI into .jupyter-venv once (Tests/Jupyter)
jupyter: setup
	$(SWIFT) build -c release --product atelier
	Tests/Jupyter/jupyter.sh $(ATELIER)

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
