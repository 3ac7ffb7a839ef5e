"""``DMLC_ROLE=scheduler|server python -m mxgan.kvstore_server``: this process serves a KVStore job.

MXNet turns a process into the scheduler or a server of a ``dist_*`` job when it is imported
with ``DMLC_ROLE`` set, and returns only when the job ends. ``import mxgan`` imports MXNet after
restoring the numpy names MXNet 1.9.1 needs (mxgan.common.compat), which a bare
``python -c "import mxnet"`` would not do on numpy >= 1.24, and after starting the watch that
ends the process when the job loses a peer (mxgan.distributed.peers); so the launcher and the
README's multi-machine recipe start the scheduler and servers with this module. It is the only
command ``import mxgan`` lets take those roles; without one, it has nothing to serve and says so.
"""
import sys

import mxgan  # noqa: F401  (serves the job while it imports MXNet, then exits)

if __name__ == "__main__":  # reached only when MXNet did not serve: no scheduler or server role
    print("error: python -m mxgan.kvstore_server serves a KVStore job: set DMLC_ROLE=scheduler "
          "or server (README, 'Scaling out')", file=sys.stderr)
    sys.exit(2)
