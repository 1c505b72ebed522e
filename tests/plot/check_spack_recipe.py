#!/usr/bin/python3
"""check_spack_recipe.py PACKAGE_PY: what can be checked of spack/packages/cajal/package.py
without Spack. A stub of `spack.package` (directives recorded, CMakePackage.define as
Spack's) loads the recipe, then cmake_args is called for three variant sets and must give
the CMake options of Cajal's build (CAJAL_KERNELS_ONLY, CAJAL_PLOT, CAJAL_PYTHON,
Kokkos_ROOT, CAJAL_ARCH=OFF, nvcc_wrapper with +cuda). Concretisation, the dependency
names and versions against Spack's builtin repository, and a build are NOT checked."""
import contextlib
import importlib.util
import sys
import types

sys.dont_write_bytecode = True  # nothing written into the source tree

calls = []
_when = []


def _directive(kind):
    def record(*args, **kw):
        calls.append((kind, args, dict(kw, _context=" ".join(_when))))
    return record


@contextlib.contextmanager
def when(spec):
    _when.append(spec)
    yield
    _when.pop()


class CMakePackage:
    run_tests = False

    def define(self, name, value):
        if isinstance(value, bool):
            value = "ON" if value else "OFF"
        return f"-D{name}={value}"

    def define_from_variant(self, name, variant):
        if variant not in self.spec.variants:
            raise KeyError(f"define_from_variant: no variant {variant}")
        return self.define(name, self.spec.variants[variant])


class CudaPackage:
    cuda_arch_values = ("70", "80", "90")


stub = types.ModuleType("spack.package")
stub.__dict__.update(version=_directive("version"), variant=_directive("variant"),
                     depends_on=_directive("depends_on"), conflicts=_directive("conflicts"),
                     when=when, CMakePackage=CMakePackage, CudaPackage=CudaPackage)
stub.__all__ = [k for k in stub.__dict__ if not k.startswith("_")]
sys.modules["spack"] = types.ModuleType("spack")
sys.modules["spack.package"] = stub

spec = importlib.util.spec_from_file_location("cajal_recipe", sys.argv[1])
recipe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)

variants = {c[1][0] for c in calls if c[0] == "variant"} | {"cuda"}  # +cuda: CudaPackage's


class Dep:
    prefix = "/spack/kokkos"
    kokkos_cxx = "/spack/kokkos-nvcc-wrapper/bin/nvcc_wrapper"
    command = types.SimpleNamespace(path="/spack/python/bin/python3")


class Spec:
    def __init__(self, **v):
        assert set(v) == variants, f"variants {sorted(variants)} != {sorted(v)}"
        self.variants = v

    def satisfies(self, text):
        return all(self.variants[t[1:]] == (t[0] == "+") for t in text.split())

    def __getitem__(self, name):
        return Dep()


def args(**v):
    pkg = recipe.Cajal()
    pkg.spec = Spec(**v)
    type(pkg).__getitem__ = lambda self, name: Dep()
    return pkg.cmake_args()


fails = 0


def expect(got, want, absent=()):
    global fails
    missing = [w for w in want if w not in got] + [a for a in absent if any(g.startswith(a) for g in got)]
    print(("ok   " if not missing else "FAIL ") + " ".join(got) + (f"  (wrong: {missing})" if missing else ""))
    fails += bool(missing)


expect(args(openmp=False, cuda=False, kernels_only=False, plot=True),
       ["-DCAJAL_KERNELS_ONLY=OFF", "-DCAJAL_PLOT=ON", "-DCAJAL_ARCH=OFF", "-DKokkos_ROOT=/spack/kokkos",
        "-DCAJAL_PYTHON=/spack/python/bin/python3"], ["-DCMAKE_CXX_COMPILER"])
expect(args(openmp=True, cuda=True, kernels_only=False, plot=False),
       ["-DCAJAL_PLOT=OFF", "-DCMAKE_CXX_COMPILER=/spack/kokkos-nvcc-wrapper/bin/nvcc_wrapper"], ["-DCAJAL_PYTHON"])
expect(args(openmp=False, cuda=False, kernels_only=True, plot=True),
       ["-DCAJAL_KERNELS_ONLY=ON"], ["-DCAJAL_PYTHON"])
deps = {c[1][0]: c[2] for c in calls if c[0] == "depends_on"}
for d in ("mpi", "hdf5+mpi", "petsc+mpi@3.18:", "kokkos+openmp", "kokkos+cuda+cuda_lambda+wrapper", "py-h5py"):
    if d not in deps:
        print(f"FAIL no depends_on({d!r})")
        fails += 1
sys.exit(1 if fails else 0)
