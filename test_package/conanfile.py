"""Conan test_package: builds and runs a consumer of dualstore::dualstore, and
of dualstore::sqlite when the package was made with with_sqlite=True."""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class DualstoreTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure(variables={"DUALSTORE_TEST_SQLITE": self._with_sqlite})
        cmake.build()

    @property
    def _with_sqlite(self):
        return bool(self.dependencies["dualstore"].options.with_sqlite)

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "test_package"), env="conanrun")
            if self._with_sqlite:
                self.run(os.path.join(self.cpp.build.bindir, "test_package_sqlite"), env="conanrun")
