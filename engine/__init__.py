"""The simulation engine: equations, models, networks, runs; no Qt.

The engine calls BLAS only on small matrices (the matrix exponentials of exact integration), where
OpenBLAS's threads bring nothing; after such a call they spin for a while on the cores a run's own
threads need (on two cores, CUBA on two threads ran 0.196 s per simulated second with them, 0.151
without).  So the engine asks for one BLAS thread, unless the environment says otherwise; this must
happen before NumPy loads OpenBLAS, which importing anything from the engine first ensures.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
