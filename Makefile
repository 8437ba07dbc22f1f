# tlsshim — build, tests and demo. `make demo` and `make test` do all the set-up
# on a fresh Debian 12 machine (packages come from `make deps`).

CC       ?= cc
BUILD    := build
BSSL_INC := /usr/include/android
BSSL_LIB := /usr/lib/x86_64-linux-gnu/android

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
            -Wstrict-prototypes -Wno-unused-parameter
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -fPIC -fvisibility=hidden -D_GNU_SOURCE -pthread \
               -fno-strict-aliasing $(WARN) -MMD -MP
INIH_LIB := /usr/lib/x86_64-linux-gnu/libinih.a

# Packages the build, the tests and the demo need. Benchmarks add their own.
DEB_PACKAGES := gcc make pkg-config android-libboringssl-dev libinih-dev \
                libcriterion-dev openssl curl python3 nginx-light socat \
                redis-server redis-tools nodejs wget postgresql \
                memcached libtcmalloc-minimal4 libjemalloc2

# What `make bench` needs on top.
BENCH_PACKAGES := iperf3 sockperf stunnel4 gnuplot-nox wrk apache2-utils \
                  android-boringssl

CONFIG_SRC   := $(wildcard config/*.c)
PRELOAD_SRC  := $(wildcard shim/preload/*.c shim/preload/hooks/*.c)
ENGINE_SRC   := $(wildcard shim/engine/*.c)
LAUNCHER_SRC := $(wildcard shim/launcher/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CONFIG_OBJ   := $(call obj,$(CONFIG_SRC))
PRELOAD_OBJ  := $(call obj,$(PRELOAD_SRC))
ENGINE_OBJ   := $(call obj,$(ENGINE_SRC))
LAUNCHER_OBJ := $(call obj,$(LAUNCHER_SRC))

PRELOAD  := $(BUILD)/libtlsshim.so
ENGINE   := $(BUILD)/libtlsshim-engine.so
LAUNCHER := $(BUILD)/tlsshim

# Unit tests: tests/unit/test_NAME.c links the objects listed in UNIT_NAME.
UNIT_TESTS    := $(patsubst tests/unit/test_%.c,%,$(wildcard tests/unit/test_*.c))
UNIT_config   := $(CONFIG_OBJ)
UNIT_engine   :=
UNIT_resolver := $(BUILD)/obj/shim/preload/resolver.o
UNIT_fdtable  := $(BUILD)/obj/shim/preload/fdtable.o
UNIT_preload_list := $(BUILD)/obj/shim/launcher/preload_list.o
UNIT_policy   := $(addprefix $(BUILD)/obj/shim/preload/,policy.o resolver.o real.o \
                   tcp.o) \
                 $(CONFIG_OBJ)
UNIT_conn     := $(addprefix $(BUILD)/obj/shim/preload/,conn.o conn_io.o \
                   conn_ready.o fdtable.o log.o real.o runtime_config.o \
                   owner.o runtime_engine.o tcp.o vfork.o) $(CONFIG_OBJ)
UNIT_owner    := $(BUILD)/obj/shim/preload/owner.o
UNIT_run      := $(addprefix $(BUILD)/obj/shim/launcher/,run.o preload_list.o) \
                 $(CONFIG_OBJ)
UNIT_BINS     := $(addprefix $(BUILD)/tests/test_,$(UNIT_TESTS))
# The engine is tested as the preload uses it: dlopen()ed in its own scope.
$(BUILD)/tests/test_engine $(BUILD)/tests/test_conn: $(ENGINE)
# The launcher's tests hand the built preload library to the program.
$(BUILD)/tests/test_run: $(PRELOAD)

# Test programs (plaintext clients and servers we run under the library).
TEST_PROGRAMS := $(patsubst tests/programs/%.c,$(BUILD)/programs/%,$(wildcard tests/programs/*.c))

.PHONY: all deps bench-deps test unit integration demo bench bench-quick \
        clean format check-calls
.SECONDEXPANSION:

all: $(PRELOAD) $(ENGINE) $(LAUNCHER) check-calls

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -c $< -o $@

# The engine is the only code that sees BoringSSL's headers.
$(BUILD)/obj/shim/engine/%.o: shim/engine/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -isystem $(BSSL_INC) -c $< -o $@

# The preload has no link-time dependency on libssl/libcrypto. inih is linked
# statically and its symbols hidden, so a program's own inih is not disturbed.
$(PRELOAD): $(PRELOAD_OBJ) $(CONFIG_OBJ)
	$(CC) -shared -o $@ $^ $(INIH_LIB) -Wl,--exclude-libs,ALL -Wl,-z,defs \
	      -Wl,-z,now -ldl -pthread

$(ENGINE): $(ENGINE_OBJ) $(CONFIG_OBJ) shim/engine/engine.map
	$(CC) -shared -o $@ $(ENGINE_OBJ) $(CONFIG_OBJ) $(INIH_LIB) \
	      -Wl,--version-script=shim/engine/engine.map -Wl,-z,defs \
	      -L$(BSSL_LIB) -Wl,-rpath,$(BSSL_LIB) -lssl -lcrypto -pthread

$(LAUNCHER): $(LAUNCHER_OBJ) $(CONFIG_OBJ)
	$(CC) -o $@ $^ $(INIH_LIB) -pthread

# Inside the library every hooked name must be reached through the resolved
# real pointer; a direct call would re-enter the hooks.
check-calls:
	@tests/check-direct-calls.sh shim/preload

$(BUILD)/tests/test_%: tests/unit/test_%.c $$(UNIT_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -o $@ $< $(UNIT_$*) $(INIH_LIB) \
	      -lcriterion -ldl -pthread

$(BUILD)/programs/%: tests/programs/%.c $(wildcard tests/programs/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -o $@ $<

# install-missing PACKAGES: apt-get install (through sudo when not root) of
# the packages not yet installed.
define install-missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing$$missing"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make: packages present"; fi
endef

deps:
	$(call install-missing,$(DEB_PACKAGES))

bench-deps: deps
	$(call install-missing,$(BENCH_PACKAGES))

unit: all $(UNIT_BINS)
	@tests/run-unit.sh $(UNIT_BINS)

integration: all $(TEST_PROGRAMS)
	@tests/integration/run.sh

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BINS) $(TEST_PROGRAMS)
	@tests/run-all.sh $(UNIT_BINS)

demo: deps
	@$(MAKE) --no-print-directory all $(TEST_PROGRAMS)
	@tests/demo/demo.sh

# Benchmarks: every scenario for every contender, interleaved; results in
# bench/results/. bench-quick is a short smoke run. `make bench
# BENCH_KEYS=ed25519` gives every server an Ed25519 certificate instead of
# ECDSA P-256.
BENCH_PROGRAMS := $(BUILD)/bench/connrate $(BUILD)/bench/echo_server \
                  $(BUILD)/bench/connrate-bssl $(BUILD)/bench/echo_server-bssl \
                  $(BUILD)/bench/exectime $(BUILD)/bench/handshake \
                  $(BUILD)/bench/stream $(BUILD)/bench/stream-bssl
BENCH_CFLAGS   := -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread
BENCH_BSSL     := -I$(BSSL_INC) -L$(BSSL_LIB) -Wl,-rpath,$(BSSL_LIB) \
                  -lssl -lcrypto
BENCH_BSSL_SRC := bench/bssl_ctx.c bench/bssl_ctx.h shim/engine/signatures.h \
                  shim/engine/identity.c shim/engine/identity.h
BENCH_BIO_SRC  := bench/bssl_bio.c bench/bssl_bio.h

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BENCH_CFLAGS) -o $@ $<

# connrate, echo_server and stream come twice: plaintext (for tlsshim to
# carry), and making their TLS connections themselves with BoringSSL
# (-bssl), configured as tlsshim configures it. bench/handshake measures
# BoringSSL itself. The -bssl programs and handshake link BoringSSL directly.
BENCH_BUILT := $(addprefix $(BUILD)/bench/,connrate connrate-bssl \
                 echo_server echo_server-bssl stream stream-bssl handshake)
$(BUILD)/bench/connrate $(BUILD)/bench/connrate-bssl: bench/connrate.c \
                                                      bench/exchange.h
$(BUILD)/bench/connrate: bench/exchange_plain.c
$(BUILD)/bench/connrate-bssl: bench/exchange_bssl.c $(BENCH_BSSL_SRC) \
                              $(BENCH_BIO_SRC)
$(BUILD)/bench/echo_server $(BUILD)/bench/echo_server-bssl: \
    bench/echo_server.c bench/echo.h
$(BUILD)/bench/echo_server: bench/echo_plain.c
$(BUILD)/bench/echo_server-bssl: bench/echo_bssl.c $(BENCH_BSSL_SRC) \
                                 $(BENCH_BIO_SRC)
$(BUILD)/bench/stream $(BUILD)/bench/stream-bssl: bench/stream.c bench/stream.h
$(BUILD)/bench/stream: bench/stream_plain.c
$(BUILD)/bench/stream-bssl: bench/stream_bssl.c $(BENCH_BSSL_SRC) \
                            $(BENCH_BIO_SRC)
$(BUILD)/bench/handshake: bench/handshake.c $(BENCH_BSSL_SRC)
$(filter %-bssl %/handshake,$(BENCH_BUILT)): BENCH_LIBS = $(BENCH_BSSL)
$(BENCH_BUILT):
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BENCH_CFLAGS) -o $@ $(filter %.c,$^) $(BENCH_LIBS)

bench: bench-deps
	@$(MAKE) --no-print-directory all $(BENCH_PROGRAMS)
	@bench/run.sh

bench-quick: bench-deps
	@$(MAKE) --no-print-directory all $(BENCH_PROGRAMS)
	@bench/run.sh --quick

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
