# Fails if any C++ source of libmas differs from what clang-format makes of it
# with the committed .clang-format. Run by ctest as style/clang-format:
#   cmake -DSOURCE_DIR=<repo> -DCLANG_FORMAT=<exe> -P check_format.cmake
if(NOT CLANG_FORMAT)
  message(FATAL_ERROR "clang-format-14 not found (scripts/setup installs it)")
endif()
set(files)
foreach(dir wire libmas examples tests benchmarks tools fuzz)
  file(GLOB_RECURSE found "${SOURCE_DIR}/${dir}/*.cpp" "${SOURCE_DIR}/${dir}/*.hpp")
  list(APPEND files ${found})
endforeach()
list(LENGTH files count)
if(count EQUAL 0)
  message(FATAL_ERROR "no sources found under ${SOURCE_DIR}")
endif()
execute_process(
  COMMAND "${CLANG_FORMAT}" --dry-run -Werror --style=file ${files}
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "clang-format: sources above need formatting; run\n"
                      "  clang-format-14 -i $(git ls-files '*.cpp' '*.hpp')")
endif()
message(STATUS "clang-format: ${count} files clean")
