/**
 * A small image classifier built in the test with onnx-proto (no downloads):
 * [Transpose for NHWC] → Conv 3×3 (pad 1) → Relu → GlobalAveragePool →
 * Flatten → Gemm → logits [N, C], plus a plain-TypeScript forward pass of
 * the same weights to check onnxruntime's output against.
 */
import * as fs from 'node:fs';
import { onnx } from 'onnx-proto';

export interface ClassifierSpec {
  inputSize: number;
  classes: number;
  filters?: number;
  stride?: number;
  layout?: 'nchw' | 'nhwc';
  inputName?: string;
  /** A fixed batch dimension; symbolic ('N') when absent. */
  fixedBatch?: number;
  /** Reshape the output to [N, 1, C] (a model realabel must refuse). */
  output3d?: boolean;
  seed?: number;
}

export interface Classifier {
  bytes: Uint8Array;
  spec: Required<Omit<ClassifierSpec, 'fixedBatch'>> & { fixedBatch?: number };
  /** Logits for `n` images given in the model's layout, computed in float64. */
  forward(x: Float32Array, n: number): Float64Array;
  save(file: string): string;
}

import { rng } from '../helpers/rng';

export { rng };

function randomWeights(n: number, scale: number, next: () => number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (next() * 2 - 1) * scale;
  return w;
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function tensor(name: string, dims: number[], data: Float32Array): onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, floatData: Array.from(data) };
}

function valueInfo(name: string, dims: Array<number | string>): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function intsAttr(name: string, ints: number[]): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

function intAttr(name: string, i: number): onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function buildClassifier(input: ClassifierSpec): Classifier {
  const spec = {
    filters: 4,
    stride: 1,
    layout: 'nchw' as const,
    inputName: 'input',
    output3d: false,
    seed: 1,
    ...input,
  };
  const { inputSize: s, classes: c, filters: f, stride } = spec;
  const next = rng(spec.seed);
  const convW = randomWeights(f * 3 * 3 * 3, 0.5, next);
  const convB = randomWeights(f, 0.1, next);
  const fcW = randomWeights(c * f, 1, next);
  const fcB = randomWeights(c, 0.1, next);

  const batch: number | string = spec.fixedBatch ?? 'N';
  const nodes: onnx.INodeProto[] = [];
  let x = spec.inputName;
  if (spec.layout === 'nhwc') {
    nodes.push({ opType: 'Transpose', input: [x], output: ['x_nchw'], attribute: [intsAttr('perm', [0, 3, 1, 2])] });
    x = 'x_nchw';
  }
  nodes.push(
    {
      opType: 'Conv',
      input: [x, 'conv_w', 'conv_b'],
      output: ['conv'],
      attribute: [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [stride, stride])],
    },
    { opType: 'Relu', input: ['conv'], output: ['relu'] },
    { opType: 'GlobalAveragePool', input: ['relu'], output: ['gap'] },
    { opType: 'Flatten', input: ['gap'], output: ['flat'], attribute: [intAttr('axis', 1)] },
    {
      opType: 'Gemm',
      input: ['flat', 'fc_w', 'fc_b'],
      output: [spec.output3d ? 'fc' : 'logits'],
      attribute: [intAttr('transB', 1)],
    },
  );
  const initializer = [
    tensor('conv_w', [f, 3, 3, 3], convW),
    tensor('conv_b', [f], convB),
    tensor('fc_w', [c, f], fcW),
    tensor('fc_b', [c], fcB),
  ];
  if (spec.output3d) {
    initializer.push({ name: 'shape3', dims: [3], dataType: INT64, int64Data: [0, 1, -1] });
    nodes.push({ opType: 'Reshape', input: ['fc', 'shape3'], output: ['logits'] });
  }
  const inputDims = spec.layout === 'nhwc' ? [batch, s, s, 3] : [batch, 3, s, s];
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'realabel-test',
    graph: {
      name: 'tiny_classifier',
      node: nodes,
      initializer,
      input: [valueInfo(spec.inputName, inputDims)],
      output: [valueInfo('logits', spec.output3d ? [batch, 1, c] : [batch, c])],
    },
  };
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();

  const forward = (xs: Float32Array, n: number): Float64Array => {
    const out = new Float64Array(n * c);
    const o = Math.floor((s + 2 - 3) / stride) + 1;
    const at = (img: number, ch: number, y: number, xx: number): number => {
      if (y < 0 || y >= s || xx < 0 || xx >= s) return 0;
      return spec.layout === 'nhwc' ? xs[((img * s + y) * s + xx) * 3 + ch] : xs[((img * 3 + ch) * s + y) * s + xx];
    };
    for (let img = 0; img < n; img++) {
      const pooled = new Float64Array(f);
      for (let k = 0; k < f; k++) {
        let sum = 0;
        for (let oy = 0; oy < o; oy++) {
          for (let ox = 0; ox < o; ox++) {
            let acc = convB[k];
            for (let ch = 0; ch < 3; ch++) {
              for (let ky = 0; ky < 3; ky++) {
                for (let kx = 0; kx < 3; kx++) {
                  acc += convW[((k * 3 + ch) * 3 + ky) * 3 + kx] * at(img, ch, oy * stride - 1 + ky, ox * stride - 1 + kx);
                }
              }
            }
            sum += Math.max(0, acc);
          }
        }
        pooled[k] = sum / (o * o);
      }
      for (let j = 0; j < c; j++) {
        let acc = fcB[j];
        for (let k = 0; k < f; k++) acc += fcW[j * f + k] * pooled[k];
        out[img * c + j] = acc;
      }
    }
    return out;
  };

  return {
    bytes,
    spec,
    forward,
    save(file: string) {
      fs.writeFileSync(file, bytes);
      return file;
    },
  };
}
