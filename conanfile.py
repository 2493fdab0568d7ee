"""Conan 2 recipe for dualstore: a header-only library; adapters are options.

    conan create . -o "dualstore/*:with_sqlite=True"

The targets match the CMake install: dualstore::dualstore, and one
dualstore::<adapter> per enabled adapter (find_package(dualstore COMPONENTS ...)).
tests/packaging/check_packaging.cmake checks the version and the target names
against the CMake build; tests/packaging/check_conan_recipe.py runs this
recipe's methods against stand-ins for Conan's objects.
"""
import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout

# adapter -> (Conan requirement or None for a system library, its CMake target)
ADAPTERS = {
    "sqlite": ("sqlite3/3.40.1", "sqlite3::sqlite3"),
    "postgresql": ("libpq/15.4", "libpq::libpq"),
    "redis": ("hiredis/1.2.0", "hiredis::hiredis"),
    "lmdb": ("lmdb/0.9.32", "lmdb::lmdb"),
    "rocksdb": ("rocksdb/8.8.1", "rocksdb::rocksdb"),
    "gdbm": (None, None),  # no Conan package: links the system libgdbm
}


class DualstoreConan(ConanFile):
    name = "dualstore"
    version = "0.1.0"
    license = "MIT"
    description = ("Header-only C++20 library that runs two key-value stores as one "
                   "to migrate live data with no downtime and no lost writes")
    topics = ("migration", "dual-write", "key-value", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {f"with_{name}": [True, False] for name in ADAPTERS}
    default_options = {f"with_{name}": False for name in ADAPTERS}
    exports_sources = "include/*", "adapters/*/include/*", "LICENSE"
    no_copy_source = True

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        self.requires("fmt/9.1.0")
        for name, (requirement, _) in ADAPTERS.items():
            if self.options.get_safe(f"with_{name}") and requirement:
                self.requires(requirement)

    def validate(self):
        check_min_cppstd(self, 20)

    def package_id(self):
        # Header-only: the package holds the same files for every compiler and
        # every version of the engines, but not for every option (each with_*
        # adds an adapter's headers), so the options stay in the package ID.
        self.info.settings.clear()
        self.info.requires.clear()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"),
             os.path.join(self.package_folder, "include"))
        for name in ADAPTERS:
            if self.options.get_safe(f"with_{name}"):
                copy(self, "*.hpp", os.path.join(self.source_folder, "adapters", name, "include"),
                     os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "dualstore")
        # pkg-config names as `cmake --install` writes them: dualstore.pc is the
        # core, dualstore-<adapter>.pc each adapter; Conan's file for the whole
        # package, which requires every component, is dualstore-all.pc.
        self.cpp_info.set_property("pkg_config_name", "dualstore-all")
        core = self.cpp_info.components["dualstore"]
        core.set_property("cmake_target_name", "dualstore::dualstore")
        core.set_property("pkg_config_name", "dualstore")
        core.requires = ["fmt::fmt"]
        core.bindirs = []
        core.libdirs = []
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]
        for name, (requirement, target) in ADAPTERS.items():
            if not self.options.get_safe(f"with_{name}"):
                continue
            component = self.cpp_info.components[name]
            component.set_property("cmake_target_name", f"dualstore::{name}")
            component.set_property("pkg_config_name", f"dualstore-{name}")
            component.requires = ["dualstore"] + ([target] if requirement else [])
            if not requirement:
                component.system_libs = [name]
            component.bindirs = []
            component.libdirs = []
