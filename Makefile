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
    kannel kannel-extras libgmime-3.0-dev swaks libnet-ssleay-perl dovecot-imapd \
  exim4-daemon-light libtomlplusplus-dev libspdlog-dev libfmt-dev libargon2-dev catch2 \
  libcld2-dev

# What only `make bench` needs, not the build or the tests: Node.js and npm, for mail_bench's
# baseline (mailparser, installed by the benchmark itself into the build directory). Installed
# from Debian only when the machine has no node or npm at all (it may have its own Node.js).
BENCH_PACKAGES := nodejs npm

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test build deps bench-deps bench clean

# libphonenumber-dev depends on Boost 1.74's libboost-thread-dev, which conflicts with the Boost 1.81
# packages above. It is installed together with a local package, built here with dpkg-deb (what
# equivs would make), that provides libboost-thread-dev by depending on libboost-thread1.81-dev.
PHONENUMBER_SHIM := frontdoor-boost-thread-shim

deps:
	@set -e; \
	ok() { dpkg-query -W -f='$${Status}\n' "$$1" 2>/dev/null | grep -q '^install ok installed'; }; \
	missing=$$(for p in $(PACKAGES); do ok $$p || echo $$p; done); \
	phone=; ok libphonenumber-dev || phone=libphonenumber-dev; \
	[ -z "$$missing$$phone" ] || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi; \
	if [ -n "$$phone" ]; then \
	  echo "installing: libphonenumber-dev with $(PHONENUMBER_SHIM)"; \
	  umask 022; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; chmod 755 "$$tmp"; \
	  mkdir -p "$$tmp/pkg/DEBIAN"; \
	  printf '%s\n' 'Package: $(PHONENUMBER_SHIM)' 'Version: 1.81.0' 'Architecture: all' \
	    'Maintainer: frontdoor <root@localhost>' 'Depends: libboost-thread1.81-dev' \
	    'Provides: libboost-thread-dev (= 1.81.0)' 'Section: libdevel' 'Priority: optional' \
	    'Description: libboost-thread-dev through Boost 1.81' \
	    ' Lets libphonenumber-dev install beside the Boost 1.81 packages.' \
	    >"$$tmp/pkg/DEBIAN/control"; \
	  dpkg-deb --root-owner-group --build "$$tmp/pkg" "$$tmp/shim.deb" >/dev/null; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    "$$tmp/shim.deb" libphonenumber-dev; \
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

bench-deps:
	@set -e; \
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "installing: $(BENCH_PACKAGES)"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(BENCH_PACKAGES); \
	fi

bench: build bench-deps
	$(BUILD)/bench/ingest_bench
	$(BUILD)/bench/sms_bench
	$(BUILD)/bench/mail_bench
	$(BUILD)/bench/language_bench
	$(BUILD)/bench/routing_bench

clean:
	rm -rf $(BUILD)
