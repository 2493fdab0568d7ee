# How dualstore finds the GDBM adapter's engine, which ships neither a CMake
# package nor a pkg-config file: included by this build and, installed as
# dualstore-gdbm-dependencies.cmake, by a user's
# find_package(dualstore COMPONENTS gdbm). Sets _dualstore_engine to the
# target to link, empty when the engine is missing.
set(_dualstore_engine_needs "GDBM (libgdbm-dev)")
set(_dualstore_engine "")
find_path(DUALSTORE_GDBM_INCLUDE_DIR gdbm.h)
find_library(DUALSTORE_GDBM_LIBRARY gdbm)
if(DUALSTORE_GDBM_INCLUDE_DIR AND DUALSTORE_GDBM_LIBRARY)
  if(NOT TARGET DualstoreEngine::gdbm)
    add_library(DualstoreEngine::gdbm INTERFACE IMPORTED GLOBAL)
    set_target_properties(DualstoreEngine::gdbm PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${DUALSTORE_GDBM_INCLUDE_DIR}"
      INTERFACE_LINK_LIBRARIES "${DUALSTORE_GDBM_LIBRARY}")
  endif()
  set(_dualstore_engine DualstoreEngine::gdbm)
endif()
