/*
 * sampler.h - Poisson sampling by bytes: how far to the next sample, and what
 * a sample stands for.
 *
 * Each thread counts down a byte budget (see profiler.h for the fast path).
 * The budget is a fresh draw from an exponential distribution of mean R
 * bytes, made after every sample, so sample points fall on the stream of
 * allocated bytes as a Poisson process of rate 1/R.  R == 1 is exact mode:
 * every allocation is sampled with weight exactly 1.
 */
#ifndef HEAPPROF_SAMPLER_H
#define HEAPPROF_SAMPLER_H

#include <stdint.h>

/* A thread's 64-bit seed, never 0: from its identity and the clock when
 * fixed is 0, else from fixed and how many threads were seeded before it,
 * so that a program whose threads start allocating in the same order
 * samples the same allocations on every run (HEAPPROF_SEED). */
uint64_t sampler_seed(uint64_t fixed);

/* Next uniform 64-bit value of a xorshift64* generator (state must be != 0). */
uint64_t sampler_rand(uint64_t *state);

/* Bytes to allocate before the next sample: floor(X) + 1 with X ~ Exp(mean),
 * so an allocation of n bytes is sampled iff n >= budget, which happens
 * with probability exactly 1 - exp(-n/mean).  0 in exact mode (mean == 1):
 * then every allocation, even of 0 bytes, is sampled. */
int64_t sampler_next_budget(uint64_t *state, uint64_t mean);

/* -ln(u) for u in (0, 1], normal, within 1e-10 relative (no tables). */
double sampler_neg_log(double u);

/* How many allocations of `size` bytes one sample stands for:
 * 1 / (1 - exp(-size/mean)); 1 in exact mode. */
double sampler_weight(uint64_t size, uint64_t mean);

/* Fixed-point scale of estimated object counts kept in the tables, so that
 * fractional weights add up without floating-point atomics. */
#define SAMPLER_OBJ_ONE 65536.0

#endif
