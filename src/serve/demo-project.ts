/**
 * `demo --serve`: a rating project made from the demo's files, so a newcomer
 * can click through the rating app: the first tasks of `tasks.jsonl`, and a
 * generated picture per image (its true classes written on it, since the
 * demo's images are simulated) under `serve/images/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../io/atomic';
import { requirePackages } from '../util/optional';
import { imageFileName } from '../io/imagenet-files';
import { readLabelSets } from '../io/labels';
import { readSynsets, shortName } from '../io/synsets';
import { readGoldQuestions, readTasksFile } from './task-file';

export interface DemoProject {
  dir: string;
  tasks: string;
  images: string;
  synsets: string;
  gold?: string;
}

const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A 640 × 480 picture naming the image's true classes. */
function picture(image: number, names: string[]): Buffer {
  const hue = (image * 47) % 360;
  const lines = names.slice(0, 4).map((n, i) => `<text x="320" y="${200 + i * 44}" font-size="34" text-anchor="middle" fill="#fff" font-family="sans-serif">${xmlEscape(n)}</text>`).join('');
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480">
<rect width="640" height="480" fill="hsl(${hue},45%,35%)"/><circle cx="520" cy="380" r="70" fill="hsl(${(hue + 140) % 360},50%,55%)"/>
<text x="320" y="90" font-size="22" text-anchor="middle" fill="#ddd" font-family="sans-serif">simulated image ${image}</text>${lines}</svg>`);
}

export async function demoProject(out: string, maxTasks = 100): Promise<DemoProject> {
  requirePackages('demo --serve (generated images)', ['sharp']);
  const dir = path.join(out, 'serve');
  const images = path.join(dir, 'images');
  fs.mkdirSync(images, { recursive: true });
  const synsets = path.join(out, 'synset.txt');
  const names = readSynsets(synsets).map(shortName);
  const truth = readLabelSets(path.join(out, 'simulate', 'truth.json'));
  const { tasks } = readTasksFile(path.join(out, 'tasks.jsonl'));
  const chosen = tasks.slice(0, maxTasks);
  const file = path.join(dir, 'tasks.jsonl');
  writeFileAtomicSync(file, chosen.map((t) => JSON.stringify({ task: t.name, image: t.image, labels: t.labels.map((label) => ({ label })) })).join('\n') + '\n');
  const goldFile = path.join(out, 'golden.npz');
  const gold = fs.existsSync(goldFile) ? await readGoldQuestions(goldFile) : [];
  const wanted = new Set([...chosen.map((t) => t.image), ...gold.map((q) => q.image)]);
  for (const image of wanted) {
    const target = path.join(images, imageFileName(image));
    if (fs.existsSync(target)) continue;
    await (require('sharp') as typeof import('sharp').default)(picture(image, Array.from(truth[image] ?? [], (l) => names[l]))).jpeg({ quality: 80 }).toFile(target);
  }
  return { dir, tasks: file, images, synsets, gold: gold.length ? goldFile : undefined };
}
