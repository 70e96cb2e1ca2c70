// Where a DeviceStates pool keeps its words: a copy of the tables' hot entries
// followed by its functions' virtual state, in one Int32Array, so that a
// trapped access loads one typed array (its data pointer and length) and not
// two. Pools of one function over the same tables share a block: one copy of
// the hot entries, then up to SHARED functions' state, so that a device costs
// its state and not another 32 KiB copy. packHot (tables.ts) refreshes every
// copy after a test changed the tables.
import { HOT_STRIDE, registerHotCopy } from "./tables.js";
import { CONFIG_DWORDS } from "../host/host.js";

/** Words of hot entries at the start of every block; a pool's state follows them. */
export const HOT_WORDS = CONFIG_DWORDS * HOT_STRIDE;

/** Pools of one function that share a block (each block one copy of the hot entries). */
const SHARED = 64;

interface Block {
  readonly mem: Int32Array;
  /** Words of the block given out so far (the hot entries, then pools' state). */
  used: number;
}

/** By tables.hot: the block that pools of one function over those tables take their state from. */
const open = new WeakMap<Uint32Array, Block>();

function newBlock(hot: Uint32Array, words: number): Block {
  const mem = new Int32Array(HOT_WORDS + words);
  registerHotCopy(hot, mem);
  return { mem, used: HOT_WORDS };
}

/**
 * Memory for a pool of `capacity` functions of `stateWords` words each over
 * tables whose hot entries are `hot`: the block (`mem`, hot entries first) and
 * where the pool's state starts in it (`first`, a word index).
 */
export function poolMemory(hot: Uint32Array, capacity: number, stateWords: number): { mem: Int32Array; first: number } {
  const words = capacity * stateWords;
  if (capacity !== 1) {
    const block = newBlock(hot, words);
    return { mem: block.mem, first: HOT_WORDS };
  }
  let block = open.get(hot);
  if (!block || block.used + words > block.mem.length) {
    block = newBlock(hot, SHARED * words);
    open.set(hot, block);
  }
  const first = block.used;
  block.used += words;
  return { mem: block.mem, first };
}
