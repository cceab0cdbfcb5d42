"""Independent Python model of aileron's hashing balancers (reference 4.8).

Used by the black-box tests to predict, bit for bit, which upstream a
hash key selects: xxHash64 (seed 0), the SplitMix64 finaliser, and the
RingHash, Maglev and DirectHash constructions.
"""

import math

M64 = (1 << 64) - 1
P1 = 11400714785074694791
P2 = 14029467366897019727
P3 = 1609587929392839161
P4 = 9650029242287828579
P5 = 2870177450012600261


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def _round(acc, inp):
    acc = (acc + inp * P2) & M64
    return (_rotl(acc, 31) * P1) & M64


def _merge(acc, val):
    acc ^= _round(0, val)
    return (acc * P1 + P4) & M64


def xxh64(data, seed=0):
    if isinstance(data, str):
        data = data.encode()
    n, i = len(data), 0
    le = int.from_bytes
    if n >= 32:
        v = [(seed + P1 + P2) & M64, (seed + P2) & M64, seed, (seed - P1) & M64]
        while i + 32 <= n:
            for j in range(4):
                v[j] = _round(v[j], le(data[i + 8 * j:i + 8 * j + 8], "little"))
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & M64
        for j in range(4):
            h = _merge(h, v[j])
    else:
        h = (seed + P5) & M64
    h = (h + n) & M64
    while i + 8 <= n:
        h ^= _round(0, le(data[i:i + 8], "little"))
        h = (_rotl(h, 27) * P1 + P4) & M64
        i += 8
    if i + 4 <= n:
        h ^= (le(data[i:i + 4], "little") * P1) & M64
        h = (_rotl(h, 23) * P2 + P3) & M64
        i += 4
    while i < n:
        h ^= (data[i] * P5) & M64
        h = (_rotl(h, 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    return h ^ (h >> 32)


def mix(z):
    z = (z + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def direct_hash(key, weights):
    k, best, pick = xxh64(key), -1.0, -1
    for i, w in enumerate(weights):
        k = mix(k)
        u = k / 2.0 ** 64
        score = w / -math.log(u) if u > 0 else 0.0
        if score > best:
            best, pick = score, i
    return pick


def ring_hash(key, urls, weights):
    ring = []
    for i, (u, w) in enumerate(zip(urls, weights)):
        k = xxh64(u.rstrip("/"))
        for _ in range(w):
            k = mix(k)
            ring.append((k, i))
    ring.sort()
    q = mix(xxh64(key))
    for k, i in ring:
        if k >= q:
            return i
    return ring[0][1]


def _is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def maglev_size(n):
    for p in (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if p >= n:
            return p
    i = 0
    while True:
        v = i * i + i + 41
        if v >= n and _is_prime(v):
            return v
        i += 1


def maglev_table(urls, weights):
    m = maglev_size(2 * sum(weights))
    perm = []
    for u in urls:
        key = mix(xxh64(u.rstrip("/")))
        perm.append((key % m, key % (m - 1) + 1))
    table, nxt, filled = [None] * m, [0] * len(urls), 0
    while filled < m:
        for j, w in enumerate(weights):
            for _ in range(w):
                if filled >= m:
                    break
                off, skip = perm[j]
                while True:
                    p = (off + skip * nxt[j]) % m
                    nxt[j] += 1
                    if table[p] is None:
                        break
                table[p] = j
                filled += 1
    return table


def maglev(key, urls, weights, table=None):
    t = table or maglev_table(urls, weights)
    return t[mix(xxh64(key)) % len(t)]
