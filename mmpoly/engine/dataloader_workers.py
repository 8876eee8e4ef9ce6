"""Stopping a DataLoader's persistent worker processes when a run ends."""
from torch.utils.data import DataLoader


def release_workers(loader: DataLoader) -> None:
    """Stop ``loader``'s persistent worker processes now.

    With ``persistent_workers=True`` a DataLoader keeps its workers between
    epochs (and, in a runner, between validations) until its iterator is
    deleted. A runner sits in reference cycles, so that happens at some
    later garbage collection, in an order where the iterator's queues may
    already be finalised: the stop signal then never reaches the workers
    and each one is only killed after PyTorch's 5 s join timeout. Stopping
    them as soon as a run ends avoids that stall (a script or a notebook
    that builds several runners paid 5 s per loader). The next iteration
    of ``loader`` starts new workers.

    Args:
        loader: Any iterable; only a :class:`~torch.utils.data.DataLoader`
            that holds an iterator is affected.
    """
    iterator = getattr(loader, '_iterator', None)
    if not isinstance(loader, DataLoader) or iterator is None:
        return
    loader._iterator = None
    shutdown = getattr(iterator, '_shutdown_workers', None)
    if shutdown is not None:  # multi-process iterators only
        shutdown()
