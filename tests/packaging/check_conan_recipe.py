"""Runs conanfile.py's methods against stand-ins for Conan's objects, since the
Conan client is not installed here: the package ID keeps the options (each
with_* adds headers) and drops the settings and requirements; package() copies
exactly the enabled adapters' headers; package_info() names the CMake targets
and pkg-config files as `cmake --install` does.

    python3 check_conan_recipe.py <source dir>
"""
import importlib.util
import sys
import types
from pathlib import Path


class Recorder:
    """Any attribute, call or item: records clear() calls and property sets."""

    def __init__(self):
        self.cleared = False
        self.properties = {}
        self.children = {}

    def clear(self):
        self.cleared = True

    def set_property(self, name, value):
        self.properties[name] = value

    def __getitem__(self, key):
        return self.children.setdefault(key, Recorder())

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.children.setdefault(name, Recorder())


def stub_conan(copies):
    """Installs a fake `conan` package whose copy() records its patterns."""
    conan = types.ModuleType("conan")
    conan.ConanFile = type("ConanFile", (), {})
    modules = {"conan": conan}
    for name in ("conan.tools", "conan.tools.build", "conan.tools.files", "conan.tools.layout"):
        modules[name] = types.ModuleType(name)
    modules["conan.tools.build"].check_min_cppstd = lambda *args: None
    modules["conan.tools.files"].copy = lambda _, pattern, src, dst: copies.append((pattern, src, dst))
    modules["conan.tools.layout"].basic_layout = lambda *args, **kwargs: None
    sys.modules.update(modules)


class Options(dict):
    def get_safe(self, name):
        return self.get(name)


def recipe(source, enabled):
    copies = []
    stub_conan(copies)
    spec = importlib.util.spec_from_file_location("conanfile", Path(source) / "conanfile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    conanfile = module.DualstoreConan()
    conanfile.options = Options({f"with_{name}": name in enabled for name in module.ADAPTERS})
    conanfile.info = Recorder()
    conanfile.cpp_info = Recorder()
    conanfile.settings = types.SimpleNamespace(os="Linux")
    conanfile.source_folder, conanfile.package_folder = "/src", "/pkg"
    return module, conanfile, copies


def main(source):
    failures = []
    module, conanfile, copies = recipe(source, {"sqlite", "gdbm"})

    conanfile.package_id()
    info = conanfile.info
    if info.cleared:
        failures.append("package_id() clears all of self.info, the options too")
    if not info.settings.cleared or not info.requires.cleared:
        failures.append("package_id() keeps the settings or the requirements in the package ID")
    if info.options.cleared:
        failures.append("package_id() drops the options from the package ID")

    conanfile.package()
    copied = sorted(src for pattern, src, _ in copies if pattern == "*.hpp")
    expected = sorted(["/src/include", "/src/adapters/gdbm/include", "/src/adapters/sqlite/include"])
    if copied != expected:
        failures.append(f"package() copies headers from {copied}, expected {expected}")

    conanfile.package_info()
    components = conanfile.cpp_info.components.children
    if sorted(components) != ["dualstore", "gdbm", "sqlite"]:
        failures.append(f"package_info() components {sorted(components)}, expected dualstore, gdbm, sqlite")
    for name, component in components.items():
        target = "dualstore::dualstore" if name == "dualstore" else f"dualstore::{name}"
        pc = "dualstore" if name == "dualstore" else f"dualstore-{name}"
        if component.properties.get("cmake_target_name") != target:
            failures.append(f"component {name}: CMake target {component.properties.get('cmake_target_name')}, expected {target}")
        if component.properties.get("pkg_config_name") != pc:
            failures.append(f"component {name}: pkg-config name {component.properties.get('pkg_config_name')}, expected {pc}")

    if failures:
        print("conanfile.py:\n  " + "\n  ".join(failures))
        return 1
    print(f"conanfile.py: package ID, package() and package_info() agree ({len(module.ADAPTERS)} adapters)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
