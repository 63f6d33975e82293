"""Builds the Cython kernels in ext/ during `pip install` (editable installs too).

The network kernel runs a chunk on several POSIX threads (ext/parallel.h), hence ``-pthread``.
"""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

FLAGS = ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math"]
THREADS = {"network": ["-pthread"]}
extensions = [
    Extension(
        f"ext.{name}",
        [f"ext/{name}.pyx"],
        include_dirs=[numpy.get_include(), "ext"],
        extra_compile_args=FLAGS + THREADS.get(name, []),
        extra_link_args=THREADS.get(name, []),
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
    for name in ("vm", "linear", "network", "bitstream", "csr")
]

setup(ext_modules=cythonize(extensions, language_level=3, compiler_directives={"embedsignature": True}))
