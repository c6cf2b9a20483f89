# pkg-config files for the installed libmas: libmas-wire.pc, libmas-net.pc,
# libmas-core.pc, libmas-aiomas.pc, libmas-mango.pc (one per CMake component)
# and libmas.pc (everything),
# installed to LIBDIR/pkgconfig. Included from the top-level CMakeLists.txt
# after the targets exist.
#
# prefix is written as ${pcfiledir}/<path up to the prefix>, so one build is
# correct for any `cmake --install --prefix` and for a prefix moved later.
# Static libraries (the default) list their dependencies in Libs/Requires, as
# `pkg-config --libs` without --static must link; shared ones in *.private.

# -- paths ----------------------------------------------------------------------

if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(MAS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(MAS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _mas_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig"
       "/root")
  string(REGEX REPLACE "/$" "" _mas_pc_up "${_mas_pc_up}")
  set(MAS_PC_PREFIX "\${pcfiledir}/${_mas_pc_up}")
  set(MAS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(MAS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(MAS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

# -- third-party flags ------------------------------------------------------------

# mas_pc_link_flags(OUT FILE): "-L<dir> -l<name>" for a library file, without
# -L when <dir> is one the compiler searches anyway.
function(mas_pc_link_flags out file)
  get_filename_component(dir "${file}" DIRECTORY)
  get_filename_component(name "${file}" NAME)
  string(REGEX REPLACE "^lib" "" name "${name}")
  string(REGEX REPLACE "\\.(so|a|dylib)(\\.[0-9.]*)?$" "" name "${name}")
  set(flags "-l${name}")
  if(NOT dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
    set(flags "-L${dir} ${flags}")
  endif()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# mas_pc_include_flags(OUT DIR...): "-I<dir>" for directories the compiler does
# not search anyway.
function(mas_pc_include_flags out)
  set(flags "")
  foreach(dir IN LISTS ARGN)
    if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
      string(APPEND flags " -I${dir}")
    endif()
  endforeach()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# The file of an imported library target, whichever configuration it has.
function(mas_pc_imported_location out target)
  foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_RELEASE
               IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_NOCONFIG
               IMPORTED_LOCATION_DEBUG)
    get_target_property(loc ${target} ${prop})
    if(loc)
      set(${out} "${loc}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "pkg-config: no library file for ${target}")
endfunction()

mas_pc_link_flags(_mas_caf_io_libs "${CAF_io_LIBRARY}")
mas_pc_link_flags(_mas_caf_core_libs "${CAF_core_LIBRARY}")
mas_pc_include_flags(_mas_caf_cflags "${CAF_INCLUDE_DIR}")

# -- one file per component ---------------------------------------------------------

get_target_property(_mas_wire_type mas_wire TYPE)
if(_mas_wire_type STREQUAL "STATIC_LIBRARY")
  set(_mas_pc_static TRUE)
else()
  set(_mas_pc_static FALSE)
endif()

# mas_pc_file(NAME DESCRIPTION LIB REQUIRES PUBLIC_LIBS PRIVATE_REQUIRES
#             PRIVATE_LIBS CFLAGS)
function(mas_pc_file name description lib requires libs priv_requires
         priv_libs cflags)
  set(MAS_PC_NAME "${name}")
  set(MAS_PC_DESCRIPTION "${description}")
  set(MAS_PC_REQUIRES "${requires}")
  set(MAS_PC_LIBS "-L\${libdir}")
  if(lib)
    string(APPEND MAS_PC_LIBS " -l${lib}")
  else()
    set(MAS_PC_LIBS "")
  endif()
  if(libs)
    string(APPEND MAS_PC_LIBS " ${libs}")
  endif()
  set(MAS_PC_REQUIRES_PRIVATE "")
  set(MAS_PC_LIBS_PRIVATE "")
  if(_mas_pc_static)
    if(priv_requires)
      string(APPEND MAS_PC_REQUIRES " ${priv_requires}")
    endif()
    if(priv_libs)
      string(APPEND MAS_PC_LIBS " ${priv_libs}")
    endif()
  else()
    set(MAS_PC_REQUIRES_PRIVATE "${priv_requires}")
    set(MAS_PC_LIBS_PRIVATE "${priv_libs}")
  endif()
  set(MAS_PC_CFLAGS "-I\${includedir}${cflags}")
  string(STRIP "${MAS_PC_REQUIRES}" MAS_PC_REQUIRES)
  string(STRIP "${MAS_PC_LIBS}" MAS_PC_LIBS)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/libmas.pc.in"
                 "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc"
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

mas_pc_file(libmas-wire
  "libmas wire layer: value model, framing, JSON/MsgPack/MsgPackBlosc codecs"
  mas_wire "" "" "blosc" "" "")
mas_pc_file(libmas-net
  "libmas net layer: sockets, endpoints, TLS sessions"
  mas_net "" "" "libssl libcrypto" "" "")
mas_pc_file(libmas-core
  "libmas CAF runtime: aiomas channels and RPC"
  mas_core "libmas-wire libmas-net"
  "${_mas_caf_io_libs} ${_mas_caf_core_libs} -pthread" "" "" "${_mas_caf_cflags}")
mas_pc_file(libmas-aiomas
  "libmas aiomas adapter: agent containers, agents, subproc's Manager"
  mas_aiomas "libmas-core" "" "" "" "")
mas_pc_file(libmas-mango
  "libmas mango adapter: TCP and external-scheduling containers, agents, roles"
  mas_mango "libmas-core" "" "" "" "")
mas_pc_file(libmas
  "libmas: C++ agents speaking aiomas's and mango's wire formats (all components)"
  "" "libmas-aiomas libmas-mango" "" "" "" "")
