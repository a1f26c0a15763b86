# syntax=docker/dockerfile:1
# batchwatch container image: a build stage that compiles the exporter with the same setup script
# as a developer machine, and a slim runtime stage that carries only the shared libraries the
# binary loads. tests/deploy/check_dockerfile_libs.py keeps the runtime package list honest.

FROM debian:bookworm-slim AS build
COPY scripts/setup.sh /src/scripts/setup.sh
COPY scripts/lib/apt.sh /src/scripts/lib/apt.sh
RUN /src/scripts/setup.sh --build-only
COPY . /src
# The compiler cache lives in a build cache mount (BuildKit and buildah keep it between builds,
# outside the image): a rebuild after a source change recompiles only the changed files.
RUN --mount=type=cache,target=/ccache,id=batchwatch-ccache \
    export CCACHE_DIR=/ccache CCACHE_BASEDIR=/src CCACHE_MAXSIZE=1G \
 && cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DBATCHWATCH_TESTS=OFF -DBATCHWATCH_BENCHMARKS=OFF -DBATCHWATCH_FUZZ=OFF \
 && cmake --build /build --target batchwatch \
 && strip /build/exporter/app/batchwatch \
 && /build/exporter/app/batchwatch --version

FROM debian:bookworm-slim AS runtime
# One package per shared library the binary needs (the check maps each `ldd` line to its
# package); libc6 and libgcc-s1 are part of every Debian base image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      tzdata \
      libcctz2 \
      libcivetweb1 \
      libcrypt1 \
      libcurl4 \
      libsimdjson14 \
      libssl3 \
      libstdc++6 \
      libyaml-cpp0.7 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && for f in /usr/lib/*/libssl.so.3 /usr/lib/*/libcrypto.so.3; do ln -s "${f##*/}" "${f%.3}"; done
# civetweb loads OpenSSL at run time by the unversioned names (only libssl-dev provides them):
# the links above make --web-config-file TLS work without the -dev package.
COPY --from=build /build/exporter/app/batchwatch /usr/local/bin/batchwatch
# The state file lives on a volume so the root filesystem can stay read-only.
RUN mkdir -p /var/lib/batchwatch && chown 65532:65532 /var/lib/batchwatch
VOLUME ["/var/lib/batchwatch"]
USER 65532:65532
EXPOSE 9981
ENTRYPOINT ["/usr/local/bin/batchwatch"]
CMD ["--listen-address=:9981", "--state-file=/var/lib/batchwatch/state.json"]
