"""One pool of warm render workers, shared by `leaflets batch` and `leaflets serve`."""

from .workers import PoolBusy, RenderPool, default_workers

__all__ = ["PoolBusy", "RenderPool", "default_workers"]
