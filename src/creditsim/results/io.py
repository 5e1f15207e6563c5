"""Saving and loading results: netCDF-4 through h5netcdf (int64 counts, UTF-8 labels)."""

from __future__ import annotations

import os

import xarray as xr

__all__ = ["save_result", "load_result"]


def save_result(ds: xr.Dataset, path: str | os.PathLike) -> None:
    """Write a result Dataset to ``path``: ``.zarr`` as a zarr store (needs the ``zarr``
    package), anything else as netCDF-4.  The file is written whole or not at all: it is
    written beside its destination and renamed into place."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    if path.endswith(".zarr"):  # a directory: written beside, then renamed into place
        import shutil

        tmp = path.rstrip("/") + ".partial"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            ds.to_zarr(tmp, mode="w")
            if os.path.exists(path):
                shutil.rmtree(path)
            os.replace(tmp, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    tmp = path + ".partial"
    try:
        ds.to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def load_result(path: str | os.PathLike) -> xr.Dataset:
    """Read a result written by ``save_result`` fully into memory."""
    path = os.fspath(path)
    if path.endswith(".zarr"):
        return xr.open_zarr(path).load()
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        return ds.load()
