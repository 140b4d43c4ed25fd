/*
 * `npm run bench:int8-peak`: the int8 multiply-accumulate rate this machine's cores can reach at best,
 * the ceiling under any int8 model's speed (bench/RESULTS.md, "The int8 ceiling"). One thread per core,
 * pinned, all running at once, each issuing AVX-512 VNNI `vpdpbusd` (64 u8×s8 multiply-adds an
 * instruction: the fastest int8 arithmetic of an x86 core without AMX, which this does not measure)
 * on twelve independent accumulators, so the figure is the units' throughput, not one instruction's
 * latency. Prints figures; asserts nothing. A machine without AVX-512 VNNI says so and exits 0.
 */
#define _GNU_SOURCE
#include <stdio.h>

#if !defined(__x86_64__)
int main(void) {
  printf("int8 peak: not an x86-64 CPU; not measured\n");
  return 0;
}
#else
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 25000000L /* twelve instructions a round: ~0.1 s a core */
#define MACS_PER_INSTRUCTION 64.0
#define MAX_CORES 256

struct run {
  int cpu;
  double seconds;
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f,avx512vnni"))) static void *issue(void *arg) {
  struct run *r = arg;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(r->cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  double start = now();
  /* Written in assembly: a compiler sees twelve identical products and keeps one. */
  for (long i = 0; i < ROUNDS; i++) {
    __asm__ volatile("vpdpbusd %%zmm20, %%zmm21, %%zmm0\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm1\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm2\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm3\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm4\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm5\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm6\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm7\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm8\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm9\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm10\n\t"
                     "vpdpbusd %%zmm20, %%zmm21, %%zmm11\n\t" ::
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
                           "xmm10", "xmm11");
  }
  r->seconds = now() - start;
  return NULL;
}

static double measure(int cores, struct run *runs) {
  pthread_t threads[MAX_CORES];
  for (int c = 0; c < cores; c++) {
    runs[c].cpu = c;
    pthread_create(&threads[c], NULL, issue, &runs[c]);
  }
  double total = 0;
  for (int c = 0; c < cores; c++) {
    pthread_join(threads[c], NULL);
    total += ROUNDS * 12 * MACS_PER_INSTRUCTION / runs[c].seconds;
  }
  return total / 1e9;
}

int main(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni")) {
    printf("int8 peak: this CPU has no AVX-512 VNNI; not measured\n");
    return 0;
  }
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  int cores = online > MAX_CORES ? MAX_CORES : (int)online;
  struct run runs[MAX_CORES];
  double best = 0, one = 0;
  for (int attempt = 0; attempt < 5; attempt++) {
    double all = measure(cores, runs);
    double single = measure(1, runs);
    if (all > best) best = all;
    if (single > one) one = single;
  }
  printf("int8 peak (AVX-512 VNNI vpdpbusd, best of 5): %.0f GMAC/s on one core, %.0f GMAC/s on all %d cores "
         "at once\n",
         one, best, cores);
  return 0;
}
#endif
