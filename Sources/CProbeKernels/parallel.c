// A small pool of helper threads for `probe_parallel_for`: the calling thread and one helper per
// further core take the indices of a loop from a shared counter.
//
// Why not libdispatch's concurrentPerform: measured here, its second thread joined a 50-job loop
// after 0.03–1.7 ms, and a 5-job loop of 0.2 ms jobs often not at all (the caller ran them
// alone). The helpers below wait for work by spinning (with sched_yield, so they give way to
// any other runnable thread) for 5 ms after each loop, then sleep on a condition
// variable; a loop started while they spin begins on every core within microseconds. Waking a
// sleeping helper took up to ~1 ms here (an idle virtual CPU), so a caller that knows a loop is
// coming (a statement about to load its inputs) wakes them first with `probe_parallel_warm`.
//
// Protocol. Every loop is a "generation". The caller publishes the job (function, context,
// count, counters reset) and bumps the generation under the pool mutex, waking sleeping
// helpers. A helper that sees a new generation joins under the mutex (only while the job is
// open), then takes indices with an atomic fetch-and-add until they run out, counting each one
// done. The caller takes indices the same way, waits until all are done, then closes the job and
// waits until no helper is still inside it — so the job's function and context (the caller's)
// are never touched after `probe_parallel_for` returns. Calls from inside a loop body, and calls
// from a second thread while a loop runs, run serially on their own thread.
#define _GNU_SOURCE
#include "include/probe_kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_HELPERS = 63 };
static const long SPIN_NS = 5000000;  // how long idle helpers keep spinning before they sleep

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;  // one loop at a time
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;  // job state, sleeping and joining
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;  // helpers: a new generation
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;  // caller: every index done
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;  // caller: no helper inside the job
static int helpers = 0;
static int sleepers = 0;
static unsigned long warmups = 0;  // `probe_parallel_warm` calls: wake sleeping helpers to spin

static _Atomic unsigned long generation = 0;
static probe_task_fn job_fn;
static void *job_ctx;
static long job_n;
static int job_open = 0;
static int job_active = 0;  // helpers inside the job
static _Atomic long job_next = 0;
static _Atomic long job_done = 0;

static _Thread_local int in_loop = 0;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Take indices until they run out; signal the caller when the last one is done.
static void work(probe_task_fn fn, void *ctx, long n) {
  for (;;) {
    long i = atomic_fetch_add_explicit(&job_next, 1, memory_order_relaxed);
    if (i >= n) break;
    fn(ctx, i);
    if (atomic_fetch_add_explicit(&job_done, 1, memory_order_acq_rel) + 1 == n) {
      pthread_mutex_lock(&m);
      pthread_cond_signal(&finished);
      pthread_mutex_unlock(&m);
    }
  }
}

static void *helper_main(void *unused) {
  (void)unused;
  in_loop = 1;  // loops started from inside a body run serially
  unsigned long seen = 0, warmed = 0;
  for (;;) {
    // Wait for a generation after `seen`: spin a while, then sleep.
    long start = now_ns();
    int spins = 0;
    while (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
      relax();
      if (++spins % 64 == 0) {
        sched_yield();
        if (now_ns() - start > SPIN_NS) break;
      }
    }
    pthread_mutex_lock(&m);
    if (atomic_load_explicit(&generation, memory_order_relaxed) == seen) {
      sleepers++;
      while (atomic_load_explicit(&generation, memory_order_relaxed) == seen && warmups == warmed) pthread_cond_wait(&wake, &m);
      sleepers--;
      warmed = warmups;
      if (atomic_load_explicit(&generation, memory_order_relaxed) == seen) {
        pthread_mutex_unlock(&m);  // woken to spin: a loop is coming
        continue;
      }
    }
    seen = atomic_load_explicit(&generation, memory_order_relaxed);
    if (!job_open) {
      pthread_mutex_unlock(&m);
      continue;
    }
    job_active++;
    probe_task_fn fn = job_fn;
    void *ctx = job_ctx;
    long n = job_n;
    pthread_mutex_unlock(&m);
    work(fn, ctx, n);
    pthread_mutex_lock(&m);
    if (--job_active == 0) pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&m);
  }
  return NULL;
}

// The CPUs a cgroup v2 quota allows ("quota period" in cpu.max, rounded up), or 0 without one:
// spinning helpers beyond it would only burn the quota.
static long cgroup_cpus(void) {
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (!f) return 0;
  char quota[32] = {0};
  long period = 0, cpus = 0;
  if (fscanf(f, "%31s %ld", quota, &period) == 2 && period > 0 && strcmp(quota, "max") != 0) {
    long q = atol(quota);
    if (q > 0) cpus = (q + period - 1) / period;
  }
  fclose(f);
  return cpus;
}

static void start_helpers(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < cores) cores = CPU_COUNT(&set);
  long quota = cgroup_cpus();
  if (quota > 0 && quota < cores) cores = quota;
  long want = cores - 1;
  if (want > MAX_HELPERS) want = MAX_HELPERS;
  for (long k = 0; k < want; k++) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, (size_t)8 << 20);
    pthread_t t;
    if (pthread_create(&t, &attr, helper_main, NULL) == 0) helpers++;
    pthread_attr_destroy(&attr);
  }
}

void probe_parallel_warm(void) {
  if (in_loop) return;
  pthread_once(&once, start_helpers);
  pthread_mutex_lock(&m);
  warmups++;
  if (sleepers > 0) pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&m);
}

int probe_parallel_threads(void) {
  pthread_once(&once, start_helpers);
  return helpers + 1;
}

void probe_parallel_for(long n, probe_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (n > 1 && !in_loop) pthread_once(&once, start_helpers);
  if (n == 1 || in_loop || helpers == 0 || pthread_mutex_trylock(&call_lock) != 0) {
    for (long i = 0; i < n; i++) fn(ctx, i);
    return;
  }
  in_loop = 1;
  pthread_mutex_lock(&m);
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  atomic_store_explicit(&job_next, 0, memory_order_relaxed);
  atomic_store_explicit(&job_done, 0, memory_order_relaxed);
  job_open = 1;
  atomic_fetch_add_explicit(&generation, 1, memory_order_release);
  if (sleepers > 0) pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&m);

  work(fn, ctx, n);

  // Every index taken; wait for the ones helpers still run (spin briefly, then sleep).
  for (int spins = 0; atomic_load_explicit(&job_done, memory_order_acquire) < n && spins < 4096; spins++) relax();
  pthread_mutex_lock(&m);
  while (atomic_load_explicit(&job_done, memory_order_acquire) < n) pthread_cond_wait(&finished, &m);
  job_open = 0;
  while (job_active > 0) pthread_cond_wait(&idle, &m);
  pthread_mutex_unlock(&m);
  in_loop = 0;
  pthread_mutex_unlock(&call_lock);
}
