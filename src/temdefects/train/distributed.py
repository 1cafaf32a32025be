"""Data-parallel training under ``torchrun`` (DistributedDataParallel), same config file.

``torchrun --nproc_per_node N -m temdefects.cli.main train CONFIG -o OUT`` starts N
processes; each reads its rank from torchrun's environment (``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``), joins the process group (NCCL on GPUs, gloo on
CPU) and trains on its share of every batch: the ``batch_size`` samples of a
step are the same as in a one-process run, split into N equal parts, and DDP
averages the gradients, so the run follows the one-process run (to the batch
statistics of BatchNorm, which each process computes on its part). Rank 0
alone evaluates and writes files.
"""

from __future__ import annotations

import os

import torch

from temdefects.errors import TemdefectsError

__all__ = ["Dist", "setup"]


class Dist:
    """This process's place in a run: ``rank``, ``world`` (1: not distributed)."""

    def __init__(self, rank: int = 0, world: int = 1, owns_group: bool = False):
        self.rank, self.world, self._owns = rank, world, owns_group

    @property
    def main(self) -> bool:
        """True on the process that evaluates and writes (rank 0)."""
        return self.rank == 0

    def share(self, keys: list, batch_size: int) -> list:
        """This rank's part of every batch of ``keys`` (batch after batch)."""
        if self.world == 1:
            return keys
        return [
            k
            for s in range(0, len(keys), batch_size)
            for k in keys[s : s + batch_size][self.rank :: self.world]
        ]

    def mean(self, value: float) -> float:
        """``value`` averaged over the ranks (for logs)."""
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return float(t.item()) / self.world

    def barrier(self) -> None:
        if self.world > 1:
            torch.distributed.barrier()

    def close(self) -> None:
        if self._owns and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def setup(device: torch.device, batch_size: int) -> tuple[Dist, torch.device]:
    """Join torchrun's process group when there is one; this rank's device.

    Raises
    ------
    TemdefectsError
        When the batch does not split evenly over the processes.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist(), device
    if batch_size % world:
        raise TemdefectsError(
            f"data.batch_size: {batch_size} does not split over {world} processes"
        )
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    owns = not torch.distributed.is_initialized()
    if owns:
        torch.distributed.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return Dist(torch.distributed.get_rank(), world, owns), device
