# Postern's two set-up commands, and a few conveniences around CMake.
#
#   make demo    install what is missing, build, run a demo instance in the
#                foreground on loopback
#   make check   install what is missing, build with -Werror (gcc) and with
#                ASan+UBSan (clang), run every test through ctest
#
# Others: make (build), make install, make fuzz, make bench, make clean.

JOBS ?= $(shell nproc)
BUILD ?= build
CHECK_BUILD ?= build-check
FUZZ_SECONDS ?= 10

.PHONY: all build deps check demo fuzz bench install clean

all: build

build:
	cmake -S . -B $(BUILD) -DPOSTERN_TESTS=OFF
	cmake --build $(BUILD) -j$(JOBS)

deps:
	scripts/deps

check: deps
	scripts/test-setup
	cmake -S . -B $(BUILD)-werror -DCMAKE_C_COMPILER=gcc -DPOSTERN_WERROR=ON -DPOSTERN_TESTS=OFF
	cmake --build $(BUILD)-werror -j$(JOBS)
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_C_COMPILER=clang -DPOSTERN_WERROR=ON \
	      -DPOSTERN_SANITIZE=ON -DPOSTERN_FUZZ=ON -DPOSTERN_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	cd $(CHECK_BUILD) && ctest --output-on-failure -j$(JOBS)

demo: deps build
	scripts/demo $(BUILD)

fuzz:
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_C_COMPILER=clang -DPOSTERN_SANITIZE=ON -DPOSTERN_FUZZ=ON
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	t/fuzz/run-fuzz -b $(CHECK_BUILD) -t $${SECONDS_PER_TARGET:-600}

bench: build
	bench/run $(BUILD)
	bench/lists $(BUILD)
	bench/sendmail $(BUILD)
	bench/tls $(BUILD)
	bench/slow-clients $(BUILD)
	bench/smtp-client $(BUILD)

install: build
	cmake --install $(BUILD)
	scripts/accounts

clean:
	rm -rf $(BUILD) $(BUILD)-werror $(CHECK_BUILD)
