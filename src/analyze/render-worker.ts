/**
 * Worker (Piscina, loaded from dist/): renders Vega-Lite specs to SVG
 * strings server-side. Vega is ESM-only with top-level await, so it is
 * loaded with a real dynamic import, which CommonJS code can only do through
 * Function (TypeScript would turn `import()` into `require`).
 */
type VegaModule = {
  View: new (runtime: unknown, opts: { renderer: string }) => { toSVG(): Promise<string>; finalize(): void };
  parse(spec: unknown): unknown;
};
type VegaLiteModule = { compile(spec: unknown): { spec: unknown } };

const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<unknown>;
let libs: Promise<[VegaModule, VegaLiteModule]> | undefined;

function load(): Promise<[VegaModule, VegaLiteModule]> {
  libs ??= Promise.all([importEsm('vega') as Promise<VegaModule>, importEsm('vega-lite') as Promise<VegaLiteModule>]);
  return libs;
}

export default async function render(task: { specs: unknown[] }): Promise<string[]> {
  const [vega, vl] = await load();
  const out: string[] = [];
  for (const spec of task.specs) {
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
    out.push(await view.toSVG());
    view.finalize();
  }
  return out;
}
