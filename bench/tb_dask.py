"""tb_dask - the Task Bench graphs on Dask distributed, a peer of the suite.

The graph and the kernel are the C ones (bench/tb_core.c, loaded with
ctypes from bench/.libs/libtbcore.so), so Dask runs the same graph and the same
object code as the other runtimes; ctypes releases the GIL during the call.
Tasks are futures (Client.submit), each taking its dependences' futures as
arguments: Dask derives exactly the graph's edges. The cluster is local:
`workers` worker processes of one thread each, the scheduler in this
process (Dask's LocalCluster).
"""
import ctypes
import logging
import os
import time

_LIB = {}


def _load(path):
    lib = _LIB.get(path)
    if lib is None:
        lib = ctypes.CDLL(path)
        i64 = ctypes.c_int64
        lib.tb_task_flat.argtypes = [ctypes.c_int, i64, i64, i64, i64,
                                     ctypes.c_char_p, ctypes.c_int,
                                     ctypes.c_char_p]
        lib.tb_task_flat.restype = ctypes.c_int
        lib.tb_deps.argtypes = [ctypes.c_void_p, i64, i64,
                                ctypes.POINTER(i64)]
        lib.tb_deps.restype = ctypes.c_int
        lib.tb_width_at.argtypes = [ctypes.c_void_p, i64]
        lib.tb_width_at.restype = i64
        lib.tb_pattern_parse.argtypes = [ctypes.c_char_p]
        lib.tb_pattern_parse.restype = ctypes.c_int
        _LIB[path] = lib
    return lib


class _Graph(ctypes.Structure):
    """struct tb_graph of tb_core.h"""
    _fields_ = [("pattern", ctypes.c_int), ("width", ctypes.c_int64),
                ("steps", ctypes.c_int64), ("iters", ctypes.c_int64)]


def tb_task(libpath, pattern, width, iters, step, point, *inputs):
    """One task, run on a Dask worker: check the inputs, compute, return
    the 16-byte output."""
    lib = _load(libpath)
    out = ctypes.create_string_buffer(16)
    if lib.tb_task_flat(pattern, width, iters, step, point, b"".join(inputs),
                        len(inputs), out) != 0:
        raise RuntimeError("task (%d, %d) read a wrong input" % (step, point))
    return out.raw


class DaskRunner:
    """A local Dask cluster that runs Task Bench graphs."""

    def __init__(self, libpath, workers=2):
        from distributed import Client, LocalCluster
        # worker processes import this module by name
        here = os.path.dirname(os.path.abspath(__file__))
        os.environ["PYTHONPATH"] = here + os.pathsep + os.environ.get(
            "PYTHONPATH", "")
        self.libpath = libpath
        self.lib = _load(libpath)
        self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                    processes=True, dashboard_address=None,
                                    silence_logs=logging.ERROR)
        self.client = Client(self.cluster)

    def graph(self, pattern_name, width, steps, iters):
        """Run one graph; returns (wall seconds, tasks)."""
        from distributed import wait
        lib = self.lib
        pattern = lib.tb_pattern_parse(pattern_name.encode())
        if pattern < 0:
            raise ValueError("unknown pattern " + pattern_name)
        g = _Graph(pattern, width, steps, iters)
        deps = (ctypes.c_int64 * 8)()
        submit = self.client.submit
        every = []  # a future nobody holds is cancelled: hold them all
        t0 = time.perf_counter()
        prev = {}
        for s in range(steps):
            cur = {}
            for p in range(lib.tb_width_at(ctypes.byref(g), s)):
                n = lib.tb_deps(ctypes.byref(g), s, p, deps)
                cur[p] = submit(tb_task, self.libpath, pattern, width, iters,
                                s, p, *[prev[deps[i]] for i in range(n)],
                                pure=False)
                every.append(cur[p])
            prev = cur
        wait(every)
        last = self.client.gather([prev[p] for p in sorted(prev)])
        wall = time.perf_counter() - t0
        for p, raw in enumerate(last):
            step = int.from_bytes(raw[:8], "little", signed=True)
            point = int.from_bytes(raw[8:], "little", signed=True)
            if step != steps - 1 or point != p:
                raise RuntimeError("point %d of the last step is wrong" % p)
        return wall, len(every)

    def close(self):
        self.client.close()
        self.cluster.close()
