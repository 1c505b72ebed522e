# Spack recipe for Cajal. This repository's spack/ is a Spack package repository
# (repo.yaml, namespace cajal):
#   spack env create -d cajal-env && spack env activate cajal-env
#   spack repo add <clone>/spack
#   spack develop --path <clone> cajal@main     # Cajal has no public download yet
#   spack add cajal@main +openmp                # or +cuda cuda_arch=90
#   spack install
# Written to the conventions of Spack's builtin packages (spack-packages, 2025).

from spack.package import *

try:  # Spack 1.0 and newer: the build systems live in the builtin package repository
    from spack_repo.builtin.build_systems.cmake import CMakePackage
    from spack_repo.builtin.build_systems.cuda import CudaPackage
except ImportError:  # older Spack: spack.package provides them
    pass


class Cajal(CMakePackage, CudaPackage):
    """Cajal: distributed simulation of spiking neurons and astrocytes, with an
    extracellular potassium field (Kokkos kernels, MPI, parallel HDF5 in SONATA layout,
    PETSc). Results are bit-identical on any number of ranks and threads."""

    # No public repository or release tarball yet: set `git` (or a url and sha256 per
    # release) here when there is one; until then `spack develop` provides the source.
    homepage = "https://example.invalid/cajal"
    git = "https://example.invalid/cajal.git"

    version("main", branch="main")

    # Kokkos backend: Cajal's kernels run on the default execution space of the Kokkos it
    # is built against; a Kokkos with OpenMP gives threads per rank (cajal run --threads),
    # one with CUDA runs them on the GPU. Serial is always there.
    variant("openmp", default=False, description="Threads per rank (Kokkos with OpenMP)")
    # CudaPackage adds +cuda and cuda_arch=..., passed on to Kokkos below.
    variant(
        "kernels_only",
        default=False,
        description="Only the kernel layer and its tests (CAJAL_KERNELS_ONLY): no MPI, "
        "HDF5, PETSc, and no cajal program",
    )
    variant(
        "plot",
        default=True,
        description="Install cajal-plot (PNGs of a run's outputs; Python with h5py and "
        "matplotlib); no effect with +kernels_only",
    )

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("cmake@3.18:", type="build")
    depends_on("pkgconfig", type="build", when="~kernels_only")

    # Tested with Kokkos 3.4 (Debian's) and 4.6.01 (cmake/build-kokkos.sh); Kokkos 5 needs C++20.
    depends_on("kokkos@3.4:4")
    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos~cuda", when="~cuda")
    # The kernels use device lambdas (a variant of Kokkos 4 and older, always on in 5); the
    # CUDA build compiles with Kokkos' nvcc_wrapper.
    depends_on("kokkos+cuda+cuda_lambda+wrapper", when="+cuda")
    for _arch in CudaPackage.cuda_arch_values:
        depends_on(f"kokkos cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
    depends_on("random123")

    with when("~kernels_only"):
        depends_on("mpi")
        depends_on("hdf5+mpi")  # parallel HDF5: every rank writes its part of spikes.h5
        # The field: PETSc's KSP with Cajal's multigrid. Cajal has no build option to
        # leave the field out, so PETSc comes with every build but +kernels_only.
        depends_on("petsc+mpi@3.18:")
        depends_on("toml11@3.7:")
        depends_on("cli11@2:")
        depends_on("nlohmann-json@3:")

    depends_on("googletest@1.10:", type="test")

    with when("+plot ~kernels_only"):
        depends_on("python@3.8:", type="run")
        depends_on("py-numpy", type="run")
        depends_on("py-h5py", type="run")
        depends_on("py-matplotlib", type="run")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define_from_variant("CAJAL_KERNELS_ONLY", "kernels_only"),
            self.define_from_variant("CAJAL_PLOT", "plot"),
            # Spack's compiler wrappers add the target's -march; Cajal's own -march=native
            # (CAJAL_ARCH) would tie the binary to the build node.
            self.define("CAJAL_ARCH", "OFF"),
            self.define("Kokkos_ROOT", spec["kokkos"].prefix),
            self.define("BUILD_TESTING", self.run_tests),
        ]
        if spec.satisfies("+cuda"):
            args.append(self.define("CMAKE_CXX_COMPILER", self["kokkos"].kokkos_cxx))
        if spec.satisfies("+plot ~kernels_only"):
            args.append(self.define("CAJAL_PYTHON", spec["python"].command.path))
        return args
