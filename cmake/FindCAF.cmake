# FindCAF: the C++ Actor Framework 0.17, which ships no CMake package.
#
# Debian's libcaf-dev (0.17.6) installs headers in /usr/include/caf and
# libcaf_core / libcaf_io / libcaf_openssl as shared libraries. This module
# finds them and creates imported targets:
#
#   CAF::core, CAF::io, CAF::openssl   (one per requested component)
#
# Components: core (always searched), io, openssl. Hints: CAF_ROOT or
# CMAKE_PREFIX_PATH. Sets CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIR and
# CAF_<COMPONENT>_LIBRARY. A missing piece is named in the failure message.

find_path(CAF_INCLUDE_DIR NAMES caf/config.hpp
          DOC "Directory holding CAF's headers (caf/config.hpp)")

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_v
         "${_caf_version_line}")
  if(_caf_v)
    math(EXPR _caf_major "${_caf_v} / 10000")
    math(EXPR _caf_minor "(${_caf_v} / 100) % 100")
    math(EXPR _caf_patch "${_caf_v} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
  endif()
endif()

set(_caf_components ${CAF_FIND_COMPONENTS})
if(NOT "core" IN_LIST _caf_components)
  list(INSERT _caf_components 0 core)
endif()

set(_caf_required_vars CAF_INCLUDE_DIR)
foreach(_comp IN LISTS _caf_components)
  if(NOT _comp MATCHES "^(core|io|openssl)$")
    message(FATAL_ERROR "FindCAF: unknown component '${_comp}' "
                        "(known: core, io, openssl)")
  endif()
  find_library(CAF_${_comp}_LIBRARY NAMES caf_${_comp}
               DOC "CAF's ${_comp} library (libcaf_${_comp})")
  if(CAF_${_comp}_LIBRARY)
    set(CAF_${_comp}_FOUND TRUE)
  else()
    set(CAF_${_comp}_FOUND FALSE)
  endif()
  if(CAF_FIND_REQUIRED_${_comp} OR _comp STREQUAL "core")
    list(APPEND _caf_required_vars CAF_${_comp}_LIBRARY)
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS ${_caf_required_vars}
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS
  REASON_FAILURE_MESSAGE
    "libmas::core needs CAF 0.17: on Debian apt-get install libcaf-dev, elsewhere set CAF_ROOT to its prefix")

if(CAF_FOUND)
  foreach(_comp IN LISTS _caf_components)
    if(CAF_${_comp}_FOUND AND NOT TARGET CAF::${_comp})
      add_library(CAF::${_comp} UNKNOWN IMPORTED)
      set_target_properties(CAF::${_comp} PROPERTIES
        IMPORTED_LOCATION "${CAF_${_comp}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
      if(NOT _comp STREQUAL "core")
        set_property(TARGET CAF::${_comp} APPEND PROPERTY
                     INTERFACE_LINK_LIBRARIES CAF::core)
      endif()
    endif()
  endforeach()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY
                 CAF_openssl_LIBRARY)
unset(_caf_components)
unset(_caf_required_vars)
