"""Builds the Cython kernels in ext/ during `pip install` (editable installs too).

The network kernel runs its chunks on several threads with OpenMP where the compiler has it (gcc does,
with its own libgomp); where it does not, the kernel is built without it and runs on one thread.
"""

import os
import subprocess
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

FLAGS = ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math"]


def openmp_flags() -> list[str]:
    """``["-fopenmp"]`` when the C compiler builds and links an OpenMP program, else ``[]``."""
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.errors import CompileError, LinkError
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "omp.c")
        with open(source, "w") as fh:
            fh.write("#include <omp.h>\nint main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n")
        try:
            objects = cc.compile([source], output_dir=tmp, extra_postargs=["-fopenmp"])
            cc.link_executable(objects, os.path.join(tmp, "omp"), extra_postargs=["-fopenmp"])
        except (CompileError, LinkError, subprocess.SubprocessError, OSError):
            print("building the network kernel without OpenMP: it will run on one thread", file=sys.stderr)
            return []
    return ["-fopenmp"]


OPENMP = openmp_flags()
extensions = [
    Extension(
        f"ext.{name}",
        [f"ext/{name}.pyx"],
        include_dirs=[numpy.get_include(), "ext"],
        extra_compile_args=FLAGS + (OPENMP if name == "network" else []),
        extra_link_args=OPENMP if name == "network" else [],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("vm", "linear", "network")
]

setup(ext_modules=cythonize(extensions, language_level=3, compiler_directives={"embedsignature": True}))
