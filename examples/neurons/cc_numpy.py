#!/usr/bin/python3
"""cc_numpy.py - the neurons analysis as the numpy original computes it.

An independent implementation, sharing no code with the C one, used to
check tessera-cc-seq and the Tessera workflows bit for bit:

    cc_numpy.py SPIKES.h5 OUT.h5 [--num-frags F] [--maxlag M]
                [--num-surrs S] [--seed X] [--delta D] [--block-size BS]
    cc_numpy.py --compare A.h5 B.h5 [DATASET...]

The first form writes /cc_original and /cc_surrs like tessera-cc-seq.
With --block-size, the pairs are decomposed as the persistent variant
(examples/neurons/cc_store.xml) does: blocks of BS neurons, one generator
per pair of blocks (bi, bj), bj >= bi, seeded seed + (bi*nb + bj)*delta
(nb blocks; the seed's loop over every pair of blocks), drawn over its
pairs ni < nj in the order ni, then nj; the results are still stored in
the order of all pairs.
--compare exits 0 iff both files hold the same datasets (cc_original and
cc_surrs, or those named) bit for bit (same shapes, float64,
np.array_equal), else prints the difference and exits 1.
Exit 2: bad usage or input (nothing is written).
"""

import argparse
import os
import sys

import h5py
import numpy as np

PROG = "cc_numpy.py"
TESS_FORMAT_VERSION = 1
DATASETS = ("cc_original", "cc_surrs")


class BadInput(Exception):
    """Bad usage or input: exit status 2."""


def all_pairs(num_neurons):
    return [(ni, nj) for ni in range(num_neurons - 1)
            for nj in range(ni + 1, num_neurons)]


def cc_surrogate_range(spikes, start_idx, end_idx, seed, num_surrs, maxlag):
    """The original task: pairs [start_idx, end_idx), one generator."""
    pairs = all_pairs(spikes.shape[0])[start_idx:end_idx]
    return cc_pairs(spikes, pairs, seed, num_surrs, maxlag)


def cc_pairs(spikes, pairs, seed, num_surrs, maxlag):
    """The task's computation over a list of pairs, one generator."""
    num_bins = spikes.shape[1]
    left, right = num_bins - maxlag, num_bins + maxlag + 1
    rng = np.random.RandomState(seed)  # = the original's np.random.seed()
    cc_original = np.empty((len(pairs), 2 * maxlag + 1))
    cc_surrs = np.empty((len(pairs), 2 * maxlag + 1, 2))
    for p, (ni, nj) in enumerate(pairs):
        # float64: numpy would correlate uint8 trains in uint8 (wrapping).
        a = spikes[ni].astype(np.float64)
        b = spikes[nj].astype(np.float64)
        cc_original[p] = np.correlate(a, b, "full")[left:right]
        num_spikes_i = int(np.sum(spikes[ni]))
        num_spikes_j = int(np.sum(spikes[nj]))
        surrs = np.empty((2 * maxlag + 1, num_surrs))
        for s in range(num_surrs):
            surr_i = np.zeros(num_bins)
            surr_i[rng.randint(0, num_bins, num_spikes_i)] = 1
            surr_j = np.zeros(num_bins)
            surr_j[rng.randint(0, num_bins, num_spikes_j)] = 1
            surrs[:, s] = np.correlate(surr_i, surr_j, "full")[left:right]
        surrs = np.sort(surrs, axis=1)
        cc_surrs[p, :, 0] = surrs[:, round(num_surrs * 0.95)]
        cc_surrs[p, :, 1] = surrs[:, round(num_surrs * 0.05)]
    return cc_original, cc_surrs


def read_spikes(path):
    try:
        open(path, "rb").close()
    except OSError as e:
        raise BadInput("%s: %s" % (path, e.strerror))
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise BadInput("%s: not an HDF5 file" % path)
    with f:
        if "spikes" not in f:
            raise BadInput("%s: no dataset /spikes" % path)
        d = f["spikes"]
        if not isinstance(d, h5py.Dataset):
            raise BadInput("%s: /spikes is not a dataset" % path)
        if d.dtype != np.uint8:
            raise BadInput("%s: /spikes: element type is %s, expected uint8"
                           % (path, d.dtype))
        if d.ndim != 2:
            raise BadInput("%s: /spikes: rank %d, expected 2 (neurons x bins)"
                           % (path, d.ndim))
        spikes = d[()]
    if spikes.size and spikes.max() > 1:
        i, t = np.argwhere(spikes > 1)[0]
        raise BadInput("%s: /spikes: spikes[%d][%d] = %d: spikes must be 0 "
                       "or 1" % (path, i, t, spikes[i, t]))
    return spikes


def check(args, spikes):
    num_neurons, num_bins = spikes.shape
    where = "%s: /spikes (%d x %d)" % (args.spikes, num_neurons, num_bins)
    if num_neurons < 2 or num_bins < 2:
        raise BadInput("%s: need 2 neurons and 2 bins" % where)
    if not 0 <= args.maxlag <= num_bins - 2:
        raise BadInput("%s: maxlag=%d: need 0 <= maxlag <= num_bins-2 = %d"
                       % (where, args.maxlag, num_bins - 2))
    if args.num_surrs < 1 or round(args.num_surrs * 0.95) >= args.num_surrs:
        raise BadInput("num_surrs=%d: element round(num_surrs*0.95) of the "
                       "surrogates does not exist" % args.num_surrs)
    num_ccs = num_neurons * (num_neurons - 1) // 2
    if args.block_size is not None:
        if args.block_size < 1:
            raise BadInput("block_size=%d: need >= 1" % args.block_size)
        nb = -(-num_neurons // args.block_size)
        if not 0 <= args.seed + (nb * nb - 1) * args.delta < 2 ** 32:
            raise BadInput("seed of block pair %d is outside [0, 2^32)"
                           % (nb * nb - 1))
        return
    if not 1 <= args.num_frags <= num_ccs:
        raise BadInput("num_frags=%d: need 1..%d (the number of pairs of %s)"
                       % (args.num_frags, num_ccs, args.spikes))
    for f in range(args.num_frags):
        if not 0 <= args.seed + f * args.delta < 2 ** 32:
            raise BadInput("seed of fragment %d is outside [0, 2^32)" % f)


def analyse(args):
    spikes = read_spikes(args.spikes)
    check(args, spikes)
    num_neurons = spikes.shape[0]
    num_ccs = num_neurons * (num_neurons - 1) // 2
    cc_original = np.zeros((num_ccs, 2 * args.maxlag + 1))
    cc_surrs = np.zeros((num_ccs, 2 * args.maxlag + 1, 2))
    step, remainder = divmod(num_ccs, args.num_frags)
    seed = args.seed
    end = 0
    if args.block_size is not None:
        bs = args.block_size
        nb = -(-num_neurons // bs)
        index = {pair: p for p, pair in enumerate(all_pairs(num_neurons))}
        for bi in range(nb):
            for bj in range(bi, nb):
                pairs = [(ni, nj)
                         for ni in range(bi * bs, min(bi * bs + bs, num_neurons))
                         for nj in range(bj * bs, min(bj * bs + bs, num_neurons))
                         if ni < nj]
                o, s = cc_pairs(spikes, pairs,
                                args.seed + (bi * nb + bj) * args.delta,
                                args.num_surrs, args.maxlag)
                for k, pair in enumerate(pairs):
                    cc_original[index[pair]] = o[k]
                    cc_surrs[index[pair]] = s[k]
    for f in range(args.num_frags if args.block_size is None else 0):
        start = end
        end = start + step + (1 if f < remainder else 0)
        o, s = cc_surrogate_range(spikes, start, end, seed, args.num_surrs,
                                  args.maxlag)
        cc_original[start:end] = o  # gather
        cc_surrs[start:end] = s
        seed = seed + args.delta
    tmp = args.out + ".tmp"
    with h5py.File(tmp, "w") as f:
        f["cc_original"] = cc_original
        f["cc_surrs"] = cc_surrs
        f.attrs["program"] = PROG
        f.attrs["tessera_format_version"] = TESS_FORMAT_VERSION
        f.attrs["spikes"] = args.spikes
        for k in ("num_frags", "maxlag", "num_surrs", "seed", "delta"):
            f.attrs[k] = np.int64(getattr(args, k))
        if args.block_size is not None:
            f.attrs["block_size"] = np.int64(args.block_size)
        f.attrs["num_neurons"] = np.int64(spikes.shape[0])
        f.attrs["num_bins"] = np.int64(spikes.shape[1])
    os.replace(tmp, args.out)
    return 0


def compare(a_path, b_path, names=DATASETS):
    data = []
    for path in (a_path, b_path):
        try:
            with h5py.File(path, "r") as f:
                data.append({n: f[n][()] for n in names})
        except (OSError, KeyError) as e:
            raise BadInput("%s: cannot read %s: %s" % (path, names, e))
    equal = True
    for n in names:
        x, y = data[0][n], data[1][n]
        if x.dtype != np.float64 or y.dtype != np.float64:
            print("/%s: dtypes %s and %s, expected float64" % (n, x.dtype,
                                                              y.dtype))
            equal = False
        elif x.shape != y.shape:
            print("/%s: shapes %s and %s differ" % (n, x.shape, y.shape))
            equal = False
        elif not np.array_equal(x, y):
            diff = np.abs(x - y)
            print("/%s: %d elements differ, max abs diff %g at %s"
                  % (n, np.count_nonzero(x != y), diff.max(),
                     np.unravel_index(np.argmax(diff), diff.shape)))
            equal = False
    return 0 if equal else 1


def main(argv):
    if len(argv) >= 1 and argv[0] == "--compare":
        if len(argv) < 3:
            print("usage: %s --compare A.h5 B.h5 [DATASET...]" % PROG,
                  file=sys.stderr)
            return 2
        return compare(argv[1], argv[2], tuple(argv[3:]) or DATASETS)
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("spikes", metavar="SPIKES.h5")
    p.add_argument("out", metavar="OUT.h5")
    p.add_argument("--num-frags", type=int, default=10)
    p.add_argument("--maxlag", type=int, default=200)
    p.add_argument("--num-surrs", type=int, default=200)
    p.add_argument("--seed", type=int, default=2398645)
    p.add_argument("--delta", type=int, default=1782324)
    p.add_argument("--block-size", type=int, default=None)
    return analyse(p.parse_args(argv))  # argparse exits 2 on bad usage


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        sys.exit(2)
