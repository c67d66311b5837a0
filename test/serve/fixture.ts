/** A small rating project on disk: synset.txt (real WordNet 3.0 ids), images, tasks.jsonl, gold truth. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { imageFileName } from '../../src/io/imagenet-files';

export const SYNSETS = [
  'n01440764 tench, Tinca tinca',
  'n01443537 goldfish, Carassius auratus',
  'n01484850 great white shark, white shark, man-eater',
  'n01491361 tiger shark, Galeocerdo cuvieri',
  'n01494475 hammerhead, hammerhead shark',
  'n01496331 electric ray, crampfish, numbfish, torpedo',
  'n01498041 stingray',
  'n01514668 cock',
  'n01514859 hen',
  'n01518878 ostrich, Struthio camelus',
];

export interface Project {
  dir: string;
  images: string;
  synsets: string;
  tasks: string;
  gold: string;
  /** tasks[i] is image i with labels (i % 10, (i + 1) % 10, (i + 2) % 10). */
  numTasks: number;
  /** Gold images (numTasks .. numTasks + numGold - 1): labels 0, 1 with truth present for label image % 2. */
  numGold: number;
}

export function taskLabels(i: number): number[] {
  return [i % 10, (i + 1) % 10, (i + 2) % 10].sort((a, b) => a - b);
}

export async function makeProject(dir: string, numTasks = 20, numGold = 4): Promise<Project> {
  const images = path.join(dir, 'images');
  fs.mkdirSync(images, { recursive: true });
  for (let i = 0; i < numTasks + numGold; i++) {
    const f = path.join(images, imageFileName(i));
    if (fs.existsSync(f)) continue;
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: 120 } } }).jpeg().toFile(f);
  }
  const synsets = path.join(dir, 'synset.txt');
  fs.writeFileSync(synsets, `${SYNSETS.join('\n')}\n`);
  const tasks = path.join(dir, 'tasks.jsonl');
  const lines = Array.from({ length: numTasks }, (_, i) =>
    JSON.stringify({ task: `${i}-0`, image: i, labels: taskLabels(i).map((l) => ({ label: l, wnid: SYNSETS[l].split(' ')[0], name: 'x' })) }));
  fs.writeFileSync(tasks, `${lines.join('\n')}\n`);
  const gold = path.join(dir, 'gold.csv');
  const rows = ['task,label'];
  for (let g = numTasks; g < numTasks + numGold; g++) for (const l of [0, 1]) rows.push(`${g}:${l},${l === g % 2 ? 'yes' : 'no'}`);
  fs.writeFileSync(gold, `${rows.join('\n')}\n`);
  return { dir, images, synsets, tasks, gold, numTasks, numGold };
}
