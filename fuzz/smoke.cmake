# ctest driver for one fuzz target (see fuzz/CMakeLists.txt):
#   1. replays every committed regression input (must not crash or take
#      more than 10 s);
#   2. fuzzes for RUNS executions from the committed seeds (read only) into a
#      fresh corpus dir under WORK.
# Variables: FUZZER, SEEDS, REGRESSIONS, WORK, RUNS.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/corpus" "${WORK}/artifacts")

file(GLOB regressions "${REGRESSIONS}/*")
if(regressions)
  execute_process(COMMAND "${FUZZER}" -timeout=10 ${regressions}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${FUZZER}: a regression input fails (exit ${rc})")
  endif()
endif()

execute_process(
  COMMAND "${FUZZER}" -runs=${RUNS} -max_len=4096 -timeout=10
          -rss_limit_mb=2048 -print_final_stats=1
          "-artifact_prefix=${WORK}/artifacts/"
          "${WORK}/corpus" "${SEEDS}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} found a problem (exit ${rc}); "
                      "reproducer in ${WORK}/artifacts/")
endif()
