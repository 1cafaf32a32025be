"""Where per-item work runs: this process, local processes, or a Dask cluster.

One place decides it for every batch command (issue 22), and hands back a
standard :class:`concurrent.futures.Executor`, so callers submit and collect
the same way whatever runs the work:

* ``workers=1`` and no scheduler: None (the caller runs items in order);
* ``workers>1``: a local :class:`~concurrent.futures.ProcessPoolExecutor`
  (spawned processes, one BLAS/OpenCV thread each);
* ``scheduler="tcp://HOST:PORT"``: the workers of that Dask distributed
  scheduler, through :meth:`distributed.Client.get_executor`;
  ``scheduler="local:N"`` starts a Dask ``LocalCluster`` of N single-threaded
  worker processes for this run (what the tests use).

Items are computed where the executor puts them; results come back to the
caller, which writes them in order, so outputs equal a local run. Workers of a
cluster need the same temdefects installed and must see the input files (and,
for ``synth``, the output folder).
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

from temdefects.errors import TemdefectsError

__all__ = ["executor", "limit_threads", "worker_count"]


def limit_threads() -> None:
    """One BLAS and one OpenCV thread in this process (for worker processes)."""
    import cv2
    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(1)
    threadpool_limits(limits=1, user_api="blas")


def _client(scheduler: str):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise TemdefectsError(
            "--scheduler needs Dask distributed: pip install 'temdefects[scale]'"
        ) from None
    if scheduler.startswith("local:"):
        try:
            n = int(scheduler.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise TemdefectsError(f"--scheduler: expected local:N with N >= 1, got {scheduler!r}")
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None
        )
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=20), None
    except (OSError, TimeoutError, ValueError) as exc:
        raise TemdefectsError(f"--scheduler: cannot reach {scheduler!r} ({exc})") from None


@contextlib.contextmanager
def executor(
    workers: int = 1,
    scheduler: str | None = None,
    *,
    initializer: Callable[[], None] | None = limit_threads,
) -> Iterator[Executor | None]:
    """The executor for a run (None: run in this process). See the module docstring.

    Raises
    ------
    TemdefectsError
        For ``workers < 1``, a malformed ``local:N``, a scheduler that cannot
        be reached, or a missing Dask installation.
    """
    if workers < 1:
        raise TemdefectsError(f"workers: must be >= 1, got {workers}")
    if scheduler:
        client, cluster = _client(scheduler)
        try:
            if initializer is not None:
                client.run(initializer)
            with client.get_executor(pure=False) as pool:
                yield pool
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers > 1:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=initializer
        ) as pool:
            yield pool
    else:
        yield None


def worker_count(pool: Executor | None, workers: int) -> int:
    """How many items run at once in ``pool`` (for bounded submission)."""
    if pool is None:
        return 1
    client = getattr(pool, "_client", None)
    if client is not None:
        info = client.scheduler_info()["workers"].values()
        return max(1, sum(w.get("nthreads", 1) for w in info))
    return max(1, workers)
