/**
 * Splits one image's label set into rating tasks of at most `maxLabels`
 * labels, so that related labels share a task.
 *
 * Coherence rule. Each label has a canonical root-first path in the WordNet
 * hierarchy (see hierarchy.ts); the paths of the image's labels form a tree.
 *  1. A subtree (a WordNet category restricted to the image's labels) with at
 *     most `maxLabels` labels is never split. The maximal such subtrees are
 *     the image's *blocks*: walk down from the root, keep a subtree whole when
 *     it fits, otherwise split it into its children (a label sitting on an
 *     oversize node, i.e. one whose own descendants are labels too, becomes a
 *     block of one).
 *  2. Blocks are packed into as few tasks as possible: exact bin packing of
 *     the block sizes with capacity `maxLabels` (a memoised search over the
 *     multiset of free slots; blocks of one fill any free slot, so they are
 *     counted, not searched). The count is at least ceil(|S| / maxLabels) and
 *     equals it whenever the blocks allow.
 *  3. Among the packings with that count, a deterministic greedy choice keeps
 *     related blocks together: blocks are placed largest first (ties: smaller
 *     first label), each into the open task whose blocks share the deepest
 *     common category with it (ties: the older task), provided the minimum
 *     count stays reachable; otherwise into a new task.
 * Sets of at most `maxLabels` labels are one task. The result depends only on
 * the set (input order never matters): labels ascending within a task, tasks
 * ordered by their first label.
 */
import { UsageError, ValidationError } from '../errors';

interface Node {
  depth: number;
  parent: Node | null;
  children: Map<number, Node>; // insertion order = ascending smallest label (labels go in sorted)
  own: number[]; // labels whose canonical path ends here
  count: number; // labels in the subtree
}

interface Block {
  labels: number[]; // ascending
  anchor: Node; // the subtree's root, for relatedness
}

/** Canonical root-first paths indexed by label (ClassHierarchy.paths). */
export type LabelPaths = readonly (readonly number[])[];

/**
 * Splits `labels` (distinct class indices) into tasks of at most `maxLabels`
 * labels along the hierarchy given by `paths`. `file` names the input in errors.
 */
export function splitLabels(labels: ArrayLike<number>, paths: LabelPaths, maxLabels = 8, file?: string): number[][] {
  if (!Number.isSafeInteger(maxLabels) || maxLabels < 1) throw new UsageError(`max-labels must be an integer >= 1, got ${maxLabels}`);
  const sorted = checkedSortedLabels(labels, paths.length, file);
  if (sorted.length <= maxLabels) return sorted.length ? [sorted] : [];
  const blocks: Block[] = [];
  collectBlocks(buildTree(sorted, paths, file), maxLabels, blocks);
  return packBlocks(blocks, maxLabels);
}

/** The lower bound ceil(|S| / maxLabels) on the number of tasks. */
export function minTasks(size: number, maxLabels = 8): number {
  return Math.ceil(size / maxLabels);
}

function checkedSortedLabels(labels: ArrayLike<number>, numClasses: number, file?: string): number[] {
  const sorted = Array.from(labels).sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const l = sorted[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new ValidationError(`label ${l} is outside the ${numClasses} classes of the hierarchy`, file);
    }
    if (i > 0 && sorted[i - 1] === l) throw new ValidationError(`label ${l} appears twice in one image's set`, file);
  }
  return sorted;
}

function buildTree(sorted: readonly number[], paths: LabelPaths, file?: string): Node {
  const root: Node = { depth: 0, parent: null, children: new Map(), own: [], count: 0 };
  for (const label of sorted) {
    const path = paths[label];
    if (!path || path.length === 0) throw new ValidationError(`label ${label} has no hierarchy path`, file);
    let node = root;
    node.count++;
    for (const key of path) {
      let child = node.children.get(key);
      if (!child) {
        child = { depth: node.depth + 1, parent: node, children: new Map(), own: [], count: 0 };
        node.children.set(key, child);
      }
      node = child;
      node.count++;
    }
    node.own.push(label);
  }
  return root;
}

function collectBlocks(node: Node, maxLabels: number, out: Block[]): void {
  if (node.count <= maxLabels) {
    const labels: number[] = [];
    subtreeLabels(node, labels);
    out.push({ labels: labels.sort((a, b) => a - b), anchor: node });
    return;
  }
  for (const l of node.own) out.push({ labels: [l], anchor: node });
  for (const child of node.children.values()) collectBlocks(child, maxLabels, out);
}

function subtreeLabels(node: Node, out: number[]): void {
  out.push(...node.own);
  for (const child of node.children.values()) subtreeLabels(child, out);
}

/** Depth of the deepest common ancestor of two tree nodes (0 = only the root). */
function commonDepth(a: Node, b: Node): number {
  while (a.depth > b.depth) a = a.parent!;
  while (b.depth > a.depth) b = b.parent!;
  while (a !== b) {
    a = a.parent!;
    b = b.parent!;
  }
  return a.depth;
}

interface Bin {
  free: number;
  blocks: Block[];
}

function packBlocks(blocks: Block[], cap: number): number[][] {
  blocks.sort((x, y) => y.labels.length - x.labels.length || x.labels[0] - y.labels[0]);
  const packer = new BinPacker(blocks.map((b) => b.labels.length), cap);
  const bins: Bin[] = [];
  blocks.forEach((block, i) => {
    const size = block.labels.length;
    const free = bins.map((b) => b.free);
    const target = packer.minBins(i, freeList(free));
    const candidates = bins
      .map((bin, index) => ({ bin, index, near: closeness(block, bin) }))
      .filter((c) => c.bin.free >= size)
      .sort((x, y) => y.near - x.near || x.index - y.index);
    for (const c of candidates) {
      free[c.index] -= size;
      const ok = packer.minBins(i + 1, freeList(free)) === target;
      free[c.index] += size;
      if (ok) {
        c.bin.free -= size;
        c.bin.blocks.push(block);
        return;
      }
    }
    bins.push({ free: cap - size, blocks: [block] });
  });
  return bins
    .map((bin) => bin.blocks.flatMap((b) => b.labels).sort((a, b) => a - b))
    .sort((x, y) => x[0] - y[0]);
}

function closeness(block: Block, bin: Bin): number {
  let best = 0;
  for (const other of bin.blocks) best = Math.max(best, commonDepth(block.anchor, other.anchor));
  return best;
}

/** Free slots of the open tasks, positive ones only, descending (a canonical memo key). */
function freeList(free: readonly number[]): number[] {
  return free.filter((f) => f > 0).sort((a, b) => b - a);
}

/**
 * Exact bin packing for items sorted by decreasing size: minBins(i, free) is
 * the fewest new bins that items i.. need given the open bins' free slots.
 */
export class BinPacker {
  private readonly memo = new Map<string, number>();
  private readonly suffix: number[]; // total size of items i..
  private readonly firstOne: number; // items from here on are all of size 1

  constructor(
    private readonly sizes: readonly number[],
    private readonly cap: number,
  ) {
    for (let i = 1; i < sizes.length; i++) {
      if (sizes[i] > sizes[i - 1]) throw new Error('BinPacker: sizes must be non-increasing');
    }
    if (sizes.some((s) => s < 1 || s > cap)) throw new Error('BinPacker: item size outside [1, cap]');
    this.suffix = new Array<number>(sizes.length + 1).fill(0);
    for (let i = sizes.length - 1; i >= 0; i--) this.suffix[i] = this.suffix[i + 1] + sizes[i];
    const one = sizes.indexOf(1);
    this.firstOne = one < 0 ? sizes.length : one;
  }

  /** Fewest bins for all items. */
  total(): number {
    return this.minBins(0, []);
  }

  /** `free`: positive free slots of the open bins, descending. */
  minBins(i: number, free: readonly number[]): number {
    let room = 0;
    for (const f of free) room += f;
    const lower = Math.ceil(Math.max(0, this.suffix[i] - room) / this.cap);
    if (i >= this.firstOne) return lower; // items of size 1 fill any free slot
    const key = `${i}|${free.join(',')}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const size = this.sizes[i];
    let best = Infinity;
    for (let j = 0; j < free.length && free[j] >= size && best > lower; j++) {
      if (j > 0 && free[j] === free[j - 1]) continue; // same state as the previous bin
      best = Math.min(best, this.minBins(i + 1, withSlot(free, j, free[j] - size)));
    }
    if (best > lower) best = Math.min(best, 1 + this.minBins(i + 1, withSlot(free, -1, this.cap - size)));
    this.memo.set(key, best);
    return best;
  }
}

/** `free` with entry j removed (none when j < 0) and `value` inserted, kept descending. */
function withSlot(free: readonly number[], j: number, value: number): number[] {
  const out = free.filter((_, k) => k !== j);
  if (value > 0) {
    let k = 0;
    while (k < out.length && out[k] >= value) k++;
    out.splice(k, 0, value);
  }
  return out;
}
