#!/usr/bin/python3
"""cc_store_check.py - check the persistent neurons analysis with h5py alone.

    cc_store_check.py export STORE NAME OUT.h5
        Read the persistent object NAME (a Correlation made by
        cc_store.xml: N x N x 3 x L, [ni, nj, c, k]) straight from the
        store's files (its block files are HDF5 fragments: /frag and its
        "start"), check that its blocks cover every pair ni < nj exactly
        once and hold NaN elsewhere, and write /cc_original (num_ccs x L)
        and /cc_surrs (num_ccs x L x 2) in the order of all pairs, as
        cc_surrogates.xml and cc_numpy.py do: compare them with
        cc_numpy.py --compare.
    cc_store_check.py summary REF.h5 SUMMARY.h5
        Compute the significant pairs from REF's /cc_original and
        /cc_surrs (lags where cc_original > cc_surrs[..,0] or
        < cc_surrs[..,1]; 0 where ni >= nj) and compare them with
        /lags_outside and /significant of SUMMARY.h5 (a results.h5 of
        cc_store_summary.xml). Prints how many pairs are significant.

Exit status: 0 all equal, 1 a difference (printed), 2 bad usage or input.
"""

import os
import sys

import h5py
import numpy as np

PROG = "cc_store_check.py"


class BadInput(Exception):
    """Bad usage or input: exit status 2."""


def object_blocks(store, name):
    """The (id, start, elements) of the blocks of object NAME."""
    link = os.path.join(store, name)
    if not os.path.islink(link):
        raise BadInput("%s: no object %s" % (store, name))
    blocks = os.path.join(store, os.readlink(link), "blocks")
    out = []
    for entry in sorted(os.listdir(blocks)):
        if not (entry.startswith("b") and entry.endswith(".h5")):
            continue  # b<id>.h5.tmp.*: a writer at work, not a block
        with h5py.File(os.path.join(blocks, entry), "r") as f:
            d = f["frag"]
            out.append((int(entry[1:-3]), tuple(d.attrs["start"]), d[()]))
    return out


def export(store, name, path):
    blocks = object_blocks(store, name)
    if not blocks:
        raise BadInput("%s: object %s has no blocks" % (store, name))
    n = max(s[0] + b.shape[0] for _, s, b in blocks)
    L = blocks[0][2].shape[3]
    index = {}
    for ni in range(n - 1):
        for nj in range(ni + 1, n):
            index[(ni, nj)] = len(index)
    cc_original = np.full((len(index), L), np.nan)
    cc_surrs = np.full((len(index), L, 2), np.nan)
    seen = np.zeros(len(index), dtype=np.int64)
    bad = 0
    for bid, (i0, j0, _, _), b in blocks:
        for a in range(b.shape[0]):
            for c in range(b.shape[1]):
                ni, nj = i0 + a, j0 + c
                if ni >= nj:
                    if not np.all(np.isnan(b[a, c])):
                        print("block %d: element [%d, %d] is no pair but "
                              "holds numbers" % (bid, ni, nj))
                        bad += 1
                    continue
                p = index[(ni, nj)]
                seen[p] += 1
                cc_original[p] = b[a, c, 0]
                cc_surrs[p, :, 0] = b[a, c, 1]
                cc_surrs[p, :, 1] = b[a, c, 2]
    if np.any(seen != 1):
        p = int(np.argmax(seen != 1))
        print("pair %d is in %d blocks, expected 1" % (p, seen[p]))
        bad += 1
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f["cc_original"] = cc_original
        f["cc_surrs"] = cc_surrs
        f.attrs["program"] = PROG
        f.attrs["object"] = name
    os.replace(tmp, path)
    print("%s: %d blocks, %d pairs, L = %d" % (name, len(blocks),
                                                len(index), L))
    return 1 if bad else 0


def summary(ref_path, sum_path):
    try:
        with h5py.File(ref_path, "r") as f:
            orig, surrs = f["cc_original"][()], f["cc_surrs"][()]
        with h5py.File(sum_path, "r") as f:
            lags, sig = f["lags_outside"][()], f["significant"][()]
    except (OSError, KeyError) as e:
        raise BadInput("cannot read %s or %s: %s" % (ref_path, sum_path, e))
    n = lags.shape[0]
    want = np.zeros((n, n), dtype=np.int64)
    p = 0
    for ni in range(n - 1):
        for nj in range(ni + 1, n):
            out = (orig[p] > surrs[p, :, 0]) | (orig[p] < surrs[p, :, 1])
            want[ni, nj] = int(np.count_nonzero(out))
            p += 1
    equal = True
    if lags.dtype != np.int64 or not np.array_equal(lags, want):
        print("/lags_outside differs in %d pairs"
              % np.count_nonzero(lags != want))
        equal = False
    if sig.dtype != np.uint8 or not np.array_equal(sig, (want > 0)
                                                   .astype(np.uint8)):
        print("/significant differs")
        equal = False
    print("%d of %d pairs significant" % (np.count_nonzero(want > 0), p))
    return 0 if equal else 1


def main(argv):
    if len(argv) == 4 and argv[0] == "export":
        return export(argv[1], argv[2], argv[3])
    if len(argv) == 3 and argv[0] == "summary":
        return summary(argv[1], argv[2])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except BadInput as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        sys.exit(2)
