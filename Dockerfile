# The sluice binary with its components embedded (host/build.rs builds them).
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The release build keeps line tables (profiling, backtraces): 265 MB. The
# image gets the binary without them but with its symbol table (57 MB; perf
# still names every function), and the line tables go to sluice.debug, which
# `docker build --target debug-symbols --output type=local,dest=. .` exports
# (gdb and perf find it through the binary's .gnu_debuglink).
RUN rustup target add wasm32-wasip2 && cargo build --release -p sluice --bin sluice \
 && objcopy --only-keep-debug target/release/sluice target/release/sluice.debug \
 && objcopy --strip-debug --add-gnu-debuglink=target/release/sluice.debug \
      target/release/sluice target/release/sluice.stripped

FROM scratch AS debug-symbols
COPY --from=build /src/target/release/sluice.debug /sluice.debug

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/sluice.stripped /usr/local/bin/sluice
ENTRYPOINT ["sluice"]
