/*
 * Test driver for `cfgvirt export --format c`: the access semantics of
 * src/runtime/virtual-device.ts over the exported tables, a plain-memory host,
 * and a trace on stdin (`r OFF SIZE` / `w OFF SIZE VALUE`, numbers in hex).
 * Prints each read's value, each hook call, then the host and shadow dwords.
 * Built with -DTABLES=cfgvirt_dev (the --name given to export).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tables.h"

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)
#define MASKS XCAT(TABLES, _masks)
#define HOOK XCAT(TABLES, _hook)
#define SHADOW0 XCAT(TABLES, _initial_shadow)

static uint32_t hw[CFGVIRT_DWORDS];
static uint32_t shadow[CFGVIRT_DWORDS];
static unsigned host_size;

static void host_write(unsigned offset, unsigned size, uint32_t value) {
  if (offset >= host_size) return;
  unsigned d = offset >> 2, shift = (offset & 3) * 8;
  uint32_t enable = size == 4 ? 0xffffffffu : (((1u << (size * 8)) - 1) << shift);
  hw[d] = (hw[d] & ~enable) | ((value << shift) & enable);
}

static const uint32_t SIZE_MASK[8] = {0, 0xff, 0xffff, 0, 0xffffffffu, 0, 0, 0};

static uint32_t read_in_dword(unsigned offset, uint32_t mask) {
  unsigned d = offset >> 2;
  const struct cfgvirt_dword *m = &MASKS[d];
  uint32_t v = (shadow[d] & m->virt_read) | (hw[d] & m->hw_read);
  return (v >> ((offset & 3) * 8)) & mask;
}

static void write_in_dword(unsigned offset, unsigned size, uint32_t mask, uint32_t value) {
  unsigned d = offset >> 2, shift = (offset & 3) * 8;
  const struct cfgvirt_dword *m = &MASKS[d];
  uint32_t enable = mask << shift;
  uint32_t v = (value << shift) & enable;
  uint32_t s = shadow[d];
  uint32_t vw = m->virt_write & enable;
  if (vw) s = (s & ~vw) | (v & vw);
  s &= ~(m->virt_w1c & v);
  shadow[d] = s;
  uint32_t pass = m->hw_write & enable;
  if (pass) {
    uint32_t out = (v & pass) | (hw[d] & m->preserve & enable);
    uint32_t lanes = 0;
    for (int i = 0; i < 4; i++) if (pass & (0xffu << (i * 8))) lanes |= 1u << (i * 8);
    if (lanes == (enable & 0x01010101u)) host_write(offset, size, (out >> shift) & mask);
    else
      for (int i = 0; i < 4; i++)
        if (lanes & (1u << (i * 8))) host_write(d * 4 + i, 1, (out >> (i * 8)) & 0xff);
  }
  if (m->hook_bits & enable) printf("h %u %u %08x\n", (unsigned)HOOK[d], d, enable);
}

static uint32_t cfg_read(long offset, unsigned size) {
  uint32_t mask = SIZE_MASK[size & 7];
  if (mask && size < 8 && offset >= 0 && offset < 4096 && (offset & 3) + size <= 4) return read_in_dword((unsigned)offset, mask);
  if (!(size == 1 || size == 2 || size == 4)) return 0xffffffffu;
  uint32_t ones = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
  if (offset < 0 || offset > 4095) return ones;
  uint32_t v = 0;
  for (int i = (int)size - 1; i >= 0; i--) v = (v << 8) | (offset + i < 4096 ? read_in_dword((unsigned)offset + i, 0xff) : 0xff);
  return v;
}

static void cfg_write(long offset, unsigned size, uint32_t value) {
  uint32_t mask = SIZE_MASK[size & 7];
  if (mask && size < 8 && offset >= 0 && offset < 4096 && (offset & 3) + size <= 4) {
    write_in_dword((unsigned)offset, size, mask, value);
    return;
  }
  if (!(size == 1 || size == 2 || size == 4) || offset < 0 || offset > 4095) return;
  for (unsigned i = 0; i < size && offset + i < 4096; i++) write_in_dword((unsigned)offset + i, 1, 0xff, (value >> (i * 8)) & 0xff);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  uint8_t bytes[4096] = {0};
  host_size = (unsigned)fread(bytes, 1, sizeof bytes, f);
  fclose(f);
  for (unsigned i = 0; i < host_size; i++) hw[i >> 2] |= (uint32_t)bytes[i] << ((i & 3) * 8);
  memcpy(shadow, SHADOW0, sizeof shadow);
  char op;
  long offset;
  unsigned size, value;
  while (scanf(" %c %lx %x", &op, &offset, &size) == 3) {
    if (op == 'r') printf("r %08x\n", cfg_read(offset, size));
    else if (scanf(" %x", &value) == 1) cfg_write(offset, size, value);
  }
  for (unsigned d = 0; d < CFGVIRT_DWORDS; d++) printf("s %03x %08x %08x\n", d * 4, hw[d], shadow[d]);
  return 0;
}
