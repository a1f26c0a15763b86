# The git revision is baked into the binary for --version and batchwatch_build_info.
execute_process(
  COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
  OUTPUT_VARIABLE BATCHWATCH_REVISION
  OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(NOT BATCHWATCH_REVISION)
  set(BATCHWATCH_REVISION "unknown")
endif()
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/exporter/version.h.in
               ${CMAKE_CURRENT_BINARY_DIR}/generated/batchwatch/version.h @ONLY)
