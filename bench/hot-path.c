/*
 * `npm run bench:c`: the table runtime's hot path (src/runtime/virtual-device.ts
 * over src/host/simulated.ts, with the FLR and VPD hooks of
 * src/runtime/hooks.ts) in C, on the same tables and trace, exported by
 * bench-c.ts, with the same layout: the interleaved masks with each dword's
 * slot in a function's compact state (src/runtime/tables.ts), `preserve`
 * beside them. The same reads must give the same checksum. (The JS keeps a
 * copy of the hot entries and the state in one typed array, src/runtime/
 * pool-memory.ts, because each typed array costs V8 loads and a bounds check;
 * here they are two plain arrays, the same values read in the same order.)
 *
 * usage: hot-path DATA DEVICES
 * then, per line on stdin, "one N" or "many N": run N accesses of the trace on
 * one device or spread over DEVICES, and print "SUM SECONDS CPU_SECONDS" (SUM
 * the reads' checksum; wall time, then this process's CPU time). Both configurations keep their state between commands, as the JS
 * side does, so that bench-c.ts can interleave JS and C round by round.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { DWORDS = 1024, STRIDE = 8, SLOT = 5 };
enum { HOOK_NONE = 0, HOOK_FLR = 1, HOOK_VPD = 2, HOOK_OTHER = 3 };

static uint32_t hot[DWORDS * STRIDE];
static uint32_t preserve[DWORDS];
/* A function's virtual state by slot: state_words words, word 0 a constant 0. */
static uint32_t *initial_state;
static uint32_t state_words, state_shift;
static uint32_t initial_host[DWORDS];
static uint32_t writable[DWORDS], w1c[DWORDS], rsvdz[DWORDS];
static uint8_t hook_kind[DWORDS];
static uint32_t host_size;
static uint8_t vpd[65536];
static uint32_t vpd_len;
static uint32_t trace_len;
/* Access j: kind (0 read, 1 write) | size << 1 | offset << 4 (Trace.op in bench/trace.ts), and the value written. */
static uint32_t *op;
static uint32_t *value;

/*
 * Per-device state in flat arrays: device i's virtual state at [i * state_words];
 * its host's dword d at host_all[(at[d] >> 4) + (i << (at[d] & 15))], as
 * bench/pooled-host.ts keeps them (the dwords the runtime reaches together, 16
 * words a device; one device: plain, at[d] = d << 4). Access j goes to device which[j].
 */
struct config {
  uint32_t *shadow_all, *host_all;
  uint32_t at[DWORDS];
  uint16_t *which;
  /* As DeviceStates.denyLogged: one bit per dword of every device, its default-deny line logged. */
  uint32_t *deny_logged;
};

/* What the JS runtime logs (a removal, a default-deny line): counted here. */
static unsigned long removals_noted, denials_logged;

static inline uint32_t *host_word(const struct config *c, uint32_t fn, uint32_t d) {
  uint32_t e = c->at[d];
  return &c->host_all[(e >> 4) + ((size_t)fn << (e & 15))];
}

/* As ENABLE in virtual-device.ts: by (size & 7) | (offset & 3) << 3, the bits an access covers in its dword, 0 for a bad size or a crossing. */
static uint32_t ENABLE[32];

static void make_enable(void) {
  for (uint32_t k = 0; k < 32; k++) {
    uint32_t size = k & 7, byte = k >> 3;
    if ((size == 1 || size == 2 || size == 4) && byte + size <= 4) ENABLE[k] = (size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1) << (byte * 8);
  }
}

static void host_write(const struct config *c, uint32_t fn, uint32_t off, uint32_t sz, uint32_t v) {
  if (off >= host_size) return;
  uint32_t d = off >> 2, shift = (off & 3) * 8;
  uint32_t enable = sz == 4 ? 0xffffffffu : (((1u << (sz * 8)) - 1) << shift);
  uint32_t val = (v << shift) & enable;
  uint32_t wr = writable[d] & enable;
  uint32_t *host = host_word(c, fn, d);
  uint32_t next = (*host & ~wr) | (val & wr);
  next &= ~(val & w1c[d]);
  *host = next & ~rsvdz[d];
}

static uint32_t read_in_dword(const struct config *c, uint32_t fn, uint32_t *shadow, uint32_t off, uint32_t enable) {
  uint32_t d = off >> 2;
  const uint32_t *h = &hot[d * STRIDE];
  uint32_t v = shadow[h[SLOT]] & h[1];
  /* As the JS: the host is read only when the bytes asked for hold a passed-through bit. */
  uint32_t hr = h[0] & enable;
  if (hr) {
    uint32_t hw = *host_word(c, fn, d);
    /* As VirtualDevice.noteAllOnes: a Vendor ID of 0xffff means the device is gone. */
    if (hw == 0xffffffffu && (*host_word(c, fn, 0) & 0xffff) == 0xffff) removals_noted++;
    v |= hw & hr;
  }
  return (v & enable) >> ((off & 3) * 8);
}

static void run_hook(uint32_t *shadow, uint32_t d, uint32_t written, uint32_t trapped) {
  uint32_t *s = &shadow[hot[d * STRIDE + SLOT]];
  switch (hook_kind[d]) {
  case HOOK_FLR:
    if (written & trapped & *s) memcpy(shadow, initial_state, state_words * sizeof *shadow);
    return;
  case HOOK_VPD: {
    if (trapped != 0xffff0000u) return;
    uint32_t address = (*s >> 16) & 0x7fff;
    if ((*s >> 31) == 0) {
      uint32_t data = 0;
      for (int i = 3; i >= 0; i--) data = (data << 8) | (address + i < vpd_len ? vpd[address + i] : 0xff);
      uint32_t next = hot[(d + 1) * STRIDE + SLOT];
      if (next) shadow[next] = data;
      *s |= 0x80000000u;
    } else *s &= 0x7fffffffu;
    return;
  }
  default:
    return;
  }
}

static void write_in_dword(const struct config *c, uint32_t fn, uint32_t *shadow, uint32_t off, uint32_t sz, uint32_t enable, uint32_t value) {
  uint32_t d = off >> 2;
  const uint32_t *h = &hot[d * STRIDE];
  uint32_t shift = (off & 3) * 8;
  uint32_t v = (value << shift) & enable;
  uint32_t *at = &shadow[h[SLOT]];
  uint32_t s = *at;
  uint32_t vw = h[2] & enable;
  if (vw) s = (s & ~vw) | (v & vw);
  s &= ~(h[3] & v);
  *at = s;
  uint32_t pass = h[4] & enable;
  if (pass) {
    uint32_t keep = preserve[d] & enable;
    uint32_t out = v & pass;
    if (keep) out |= *host_word(c, fn, d) & keep;
    uint32_t lanes = pass | (pass >> 4);
    lanes |= lanes >> 2;
    lanes |= lanes >> 1;
    lanes &= 0x01010101u;
    if (lanes == (enable & 0x01010101u)) host_write(c, fn, off, sz, (out & enable) >> shift);
    else
      for (uint32_t i = 0; i < 4; i++)
        if ((lanes >> (i * 8)) & 1) host_write(c, fn, d * 4 + i, 1, (out >> (i * 8)) & 0xff);
  }
  /* As DeviceStates.write: hooks, then the default-deny line once per dword and device (noteDenied). */
  if ((h[6] | h[7]) & enable) {
    if (h[6] & enable) run_hook(shadow, d, enable, h[6]);
    if (h[7] & enable) {
      size_t bit = ((size_t)fn << 10) + d;
      if (!(c->deny_logged[bit >> 5] & (1u << (bit & 31)))) c->deny_logged[bit >> 5] |= 1u << (bit & 31), denials_logged++;
    }
  }
}

static uint32_t device_read(const struct config *c, uint32_t fn, uint32_t *shadow, uint32_t off, uint32_t sz) {
  uint32_t enable = ENABLE[(sz & 7) | ((off & 3) << 3)];
  if (enable && sz < 8 && off < 4096) return read_in_dword(c, fn, shadow, off, enable);
  uint32_t v = 0;
  for (int i = (int)sz - 1; i >= 0; i--) v = (v << 8) | (off + i < 4096 ? read_in_dword(c, fn, shadow, off + i, 0xffu << (((off + i) & 3) * 8)) : 0xff);
  return v;
}

static void device_write(const struct config *c, uint32_t fn, uint32_t *shadow, uint32_t off, uint32_t sz, uint32_t value) {
  uint32_t enable = ENABLE[(sz & 7) | ((off & 3) << 3)];
  if (enable && sz < 8 && off < 4096) {
    write_in_dword(c, fn, shadow, off, sz, enable, value);
    return;
  }
  for (uint32_t i = 0; i < sz && off + i < 4096; i++) write_in_dword(c, fn, shadow, off + i, 1, 0xffu << (((off + i) & 3) * 8), (value >> (i * 8)) & 0xff);
}

static int32_t run(const struct config *c, uint64_t n) {
  int32_t sum = 0;
  uint32_t m = trace_len - 1;
  for (uint64_t i = 0; i < n; i++) {
    uint32_t j = (uint32_t)i & m;
    uint32_t fn = c->which[j];
    uint32_t *shadow = c->shadow_all + ((size_t)fn << state_shift);
    uint32_t o = op[j];
    if ((o & 1) == 0) sum = (int32_t)((uint32_t)sum + device_read(c, fn, shadow, o >> 4, (o >> 1) & 7));
    else device_write(c, fn, shadow, o >> 4, (o >> 1) & 7, value[j]);
  }
  return sum;
}

static void *read_exact(FILE *f, size_t bytes) {
  void *p = malloc(bytes ? bytes : 1);
  if (!p || fread(p, 1, bytes, f) != bytes) {
    fprintf(stderr, "hot-path: short data file\n");
    exit(2);
  }
  return p;
}

static double clock_of(clockid_t which) {
  struct timespec t;
  clock_gettime(which, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * As hostLayout in bench/pooled-host.ts: the dwords the runtime reads or writes
 * (hwRead or hwWrite set) together, a power of two words a device (at least
 * 16), then every dword 1024 apart. Returns the words the hosts need.
 */
static size_t host_layout(struct config *c, size_t devices) {
  uint32_t near = 0, shift = 4;
  for (uint32_t d = 0; d < DWORDS; d++) near += (hot[d * STRIDE] | hot[d * STRIDE + 4]) != 0;
  while ((1u << shift) < near) shift++;
  size_t far = devices << shift;
  for (uint32_t d = 0, k = 0; d < DWORDS; d++)
    c->at[d] = (hot[d * STRIDE] | hot[d * STRIDE + 4]) ? (k++ << 4) | shift : (uint32_t)((far + d) << 4) | 10;
  return far + devices * DWORDS;
}

static struct config make_config(int devices, uint16_t *which) {
  struct config c = {.shadow_all = malloc((size_t)devices * state_words * sizeof *initial_state), .which = which};
  /* One device's host is plain, as src/host/simulated.ts keeps it. */
  size_t host_words = DWORDS;
  if (devices == 1)
    for (uint32_t d = 0; d < DWORDS; d++) c.at[d] = d << 4;
  else
    host_words = host_layout(&c, (size_t)devices);
  c.host_all = malloc(host_words * sizeof *c.host_all);
  c.deny_logged = calloc((size_t)devices * (DWORDS / 32), sizeof *c.deny_logged);
  if (!c.shadow_all || !c.host_all || !c.deny_logged) {
    fprintf(stderr, "hot-path: out of memory\n");
    exit(2);
  }
  for (int i = 0; i < devices; i++) {
    memcpy(c.shadow_all + (size_t)i * state_words, initial_state, state_words * sizeof *initial_state);
    for (uint32_t d = 0; d < DWORDS; d++) *host_word(&c, (uint32_t)i, d) = initial_host[d];
  }
  return c;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hot-path DATA DEVICES\n");
    return 2;
  }
  make_enable();
  FILE *f = fopen(argv[1], "rb");
  if (!f) return perror(argv[1]), 2;
  int devices = atoi(argv[2]);
  if (devices < 1) devices = 1;
  uint32_t header[4];
  memcpy(header, read_exact(f, sizeof header), sizeof header);
  trace_len = header[0], host_size = header[1], vpd_len = header[2], state_words = header[3];
  memcpy(hot, read_exact(f, sizeof hot), sizeof hot);
  memcpy(preserve, read_exact(f, sizeof preserve), sizeof preserve);
  initial_state = read_exact(f, state_words * sizeof *initial_state);
  while ((1u << state_shift) < state_words) state_shift++; /* a power of two, as in the JS */
  memcpy(initial_host, read_exact(f, sizeof initial_host), sizeof initial_host);
  memcpy(writable, read_exact(f, sizeof writable), sizeof writable);
  memcpy(w1c, read_exact(f, sizeof w1c), sizeof w1c);
  memcpy(rsvdz, read_exact(f, sizeof rsvdz), sizeof rsvdz);
  memcpy(hook_kind, read_exact(f, sizeof hook_kind), sizeof hook_kind);
  memcpy(vpd, read_exact(f, vpd_len), vpd_len);
  op = read_exact(f, trace_len * 4);
  value = read_exact(f, trace_len * 4);
  uint16_t *which = read_exact(f, trace_len * 2);
  fclose(f);
  uint16_t *zeros = calloc(trace_len, 2);
  struct config one = make_config(1, zeros), many = make_config(devices, which);
  char what[16];
  unsigned long long n;
  while (scanf("%15s %llu", what, &n) == 2) {
    const struct config *c = strcmp(what, "many") == 0 ? &many : &one;
    double t = clock_of(CLOCK_MONOTONIC), cpu = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    int32_t sum = run(c, n);
    double cpu_seconds = clock_of(CLOCK_PROCESS_CPUTIME_ID) - cpu, seconds = clock_of(CLOCK_MONOTONIC) - t;
    printf("%d %.9f %.9f\n", sum, seconds, cpu_seconds);
    fflush(stdout);
  }
  return 0;
}
