#!/usr/bin/env python3
"""Derives the carry-less multiplication folding constants of CRC-64/NVME for
lib/src/hash/crc.cpp (crc64nvme_update's PCLMULQDQ path), and checks the folding they give
against the bitwise definition.

CRC-64/NVME: polynomial P = x^64 + 0xAD93D23594C93659 (reflected 0x9A6C9329AC4BC9B5), reflected
input and output, initial register and final xor all ones; check("123456789") =
0xAE8B14860A799888.

In the reflected order bit i of a 64-bit value is the coefficient of x^(63 - i), and bit k of a
128-bit block (16 message bytes, loaded little-endian) that of x^(127 - k). The carry-less
product of two reflected 64-bit values A and B, read as a reflected 128-bit value, is A * B * x.
Folding a 128-bit block X = Xlo * x^64 + Xhi (Xlo in bits 0..63) forward over D bits replaces
X * x^D by Xlo * (x^(D + 64) mod P) + Xhi * (x^D mod P), which needs the constants
x^(D + 63) mod P (for Xlo) and x^(D - 1) mod P (for Xhi) because of the product's extra x.

Usage: bench/crc64nvme_constants.py   (prints the constants for D = 1024 and D = 128)
"""
import random

POLY = (1 << 64) | 0xAD93D23594C93659  # x^64 + ..., normal bit order
REFLECTED = 0x9A6C9329AC4BC9B5


def reflect64(v):
    return int(f"{v:064b}"[::-1], 2)


def x_pow_mod(n):
    """x^n mod P, normal bit order."""
    r = 1
    for _ in range(n):
        r <<= 1
        if r >> 64:
            r ^= POLY
    return r


def constant(n):
    """x^n mod P, reflected: the form the folding multiplies by."""
    return reflect64(x_pow_mod(n))


def clmul(a, b):
    r = 0
    for i in range(64):
        if (b >> i) & 1:
            r ^= a << i
    return r


def crc_bitwise(data, reg=0xFFFFFFFFFFFFFFFF):
    for byte in data:
        reg ^= byte
        for _ in range(8):
            reg = (reg >> 1) ^ REFLECTED if reg & 1 else reg >> 1
    return reg


def crc_folded(data, reg=0xFFFFFFFFFFFFFFFF):
    """One 128-bit lane folded over 16 bytes at a time, the rest (and the last block) bitwise:
    the shape of crc.cpp's loop, to check the constants."""
    k_lo, k_hi = constant(128 + 63), constant(128 - 1)
    if len(data) < 32:
        return crc_bitwise(data, reg)
    x = int.from_bytes(data[:16], "little") ^ reg
    at = 16
    while len(data) - at >= 16:
        lo, hi = x & (2**64 - 1), x >> 64
        x = clmul(lo, k_lo) ^ clmul(hi, k_hi) ^ int.from_bytes(data[at:at + 16], "little")
        at += 16
    reg = crc_bitwise(x.to_bytes(16, "little"), 0)
    return crc_bitwise(data[at:], reg)


def main():
    assert crc_bitwise(b"123456789") ^ 0xFFFFFFFFFFFFFFFF == 0xAE8B14860A799888
    rng = random.Random(1)
    for length in list(range(0, 100)) + [255, 256, 1000]:
        data = bytes(rng.randrange(256) for _ in range(length))
        assert crc_folded(data) == crc_bitwise(data), length
    for d in (1024, 128):
        print(f"fold over {d:4} bits: x^{d + 63} mod P = 0x{constant(d + 63):016X}, "
              f"x^{d - 1} mod P = 0x{constant(d - 1):016X}")


if __name__ == "__main__":
    main()
