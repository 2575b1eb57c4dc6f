# SPDX-License-Identifier: LGPL-2.1-or-later
# Thin wrapper over meson so the README's commands stay short.
BUILD ?= build

.PHONY: all deps check demo bench clean fuzz format

all:
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null
	ninja -C $(BUILD)

deps:
	./scripts/install-deps
	./scripts/build-musl-deps

# Builds everything (plain and ASan/UBSan) and runs the whole suite.
check: deps
	./tests/run-tests

# The main job on the embedded default: the host's own root, read-only, no image needed.
demo: deps all
	./$(BUILD)/src/cli/hutch/hutch run -- sh -c 'echo "hello from $$(hostname) as $$(id -u), pid $$$$"; ls /work | head -3; touch /etc/x 2>&1 || true'

bench: deps
	./bench/run

fuzz:
	./scripts/fuzz

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) build-asan build-fuzz
