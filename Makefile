# frontdoor — the two commands a person needs:
#   make run    install what is missing, build, start frontdoord with embedded Redis and a demo config
#   make test   install what is missing, build, run every test through ctest
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= RelWithDebInfo

# Debian 12 packages the build, the tests and `make run` need.
PACKAGES := build-essential clang cmake pkg-config \
  libboost1.81-all-dev libboost-json1.81-dev libboost-url1.81-dev \
  libhiredis-dev redis-server redis-tools libcurl4-openssl-dev libssl-dev libicu-dev \
  libtomlplusplus-dev libspdlog-dev libfmt-dev libargon2-dev catch2

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build deps bench clean

deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Clang: GCC 12 miscompiles temporaries in coroutines (see CMakeLists.txt).
$(BUILD)/CMakeCache.txt:
	CXX=clang++ cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	FRONTDOOR_BOOTSTRAP_ADMIN=$${FRONTDOOR_BOOTSTRAP_ADMIN:-admin:admin-demo-password} \
	  $(BUILD)/frontdoord --config config/demo.toml --data-dir data

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 300

bench: build
	$(BUILD)/bench/ingest_bench

clean:
	rm -rf $(BUILD)
