# vcpkg overlay port: builds this checkout.
#   vcpkg install "dualstore[sqlite,redis]" --overlay-ports=<dualstore>/ports
# A registry port would fetch a release with vcpkg_from_github instead.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

set(VCPKG_BUILD_TYPE release)  # header-only: nothing differs in debug

# Each feature turns its adapter's switch ON (a missing engine is a build
# error) and each feature left out turns it OFF (the adapter is not installed).
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    gdbm       DUALSTORE_WITH_GDBM
    lmdb       DUALSTORE_WITH_LMDB
    postgresql DUALSTORE_WITH_POSTGRESQL
    redis      DUALSTORE_WITH_REDIS
    rocksdb    DUALSTORE_WITH_ROCKSDB
    sqlite     DUALSTORE_WITH_SQLITE)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS
    -DDUALSTORE_BUILD_TESTS=OFF
    -DDUALSTORE_BUILD_BENCHMARKS=OFF
    -DDUALSTORE_BUILD_EXAMPLES=OFF
    ${FEATURE_OPTIONS})
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/dualstore)
vcpkg_fixup_pkgconfig()
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
