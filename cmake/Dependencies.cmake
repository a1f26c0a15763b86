# Every dependency comes from a Debian bookworm package (see scripts/setup.sh).
find_package(Threads REQUIRED)
find_package(civetweb CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)

# libcctz-dev ships neither a CMake config nor a pkg-config file.
find_path(CCTZ_INCLUDE_DIR cctz/time_zone.h REQUIRED)
find_library(CCTZ_LIBRARY cctz REQUIRED)
add_library(cctz::cctz UNKNOWN IMPORTED)
set_target_properties(cctz::cctz PROPERTIES
  IMPORTED_LOCATION "${CCTZ_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CCTZ_INCLUDE_DIR}")

if(BATCHWATCH_TESTS)
  find_package(GTest REQUIRED)
endif()
if(BATCHWATCH_BENCHMARKS)
  find_package(benchmark REQUIRED)
  # Only bench_scrape's yardstick: batchwatch renders its own text format (docs/performance.md).
  find_package(prometheus-cpp CONFIG REQUIRED)   # no version file: never pass a version
endif()
# libsimdjson-dev 3.0.1: the decoder's JSON parser (On-Demand). A shared library at run time.
find_package(simdjson 3 CONFIG REQUIRED)
