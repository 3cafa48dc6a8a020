// Small ONNX graphs built in code for the onnxruntime-web peer (no downloaded models). The protobuf messages come
// from the `onnx-proto` package (generated from onnx.proto); this file only adds a compact way to write a graph:
//
//   const bytes = onnxModel({
//     inputs: [['A', [512, 512]], ['B', [512, 512]]],
//     outputs: [['Y', [512, 512]]],
//     nodes: [node('Gemm', ['A', 'B'], ['Y'], { transB: 1 })],
//   });
//
// Every tensor is float32. Constant tensors (shape vectors, scalars) go in `initializers`.

import { onnx } from 'onnx-proto';

/** The opset every graph is written against (ORT-web's WebGPU provider covers it for the ops used here). */
export const OPSET = 17;

/** number → INT, number[] → INTS, string → STRING, { f } → FLOAT, { floats } → FLOATS. */
export type Attr = number | number[] | string | { f: number } | { floats: number[] };

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  domain?: string;
}

export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attrs?: Record<string, Attr>,
  domain?: string,
): GraphNode {
  return { op, inputs, outputs, attrs, domain };
}

export interface Initializer {
  name: string;
  dims: number[];
  /** float32 unless `int64` is set (e.g. Reshape's shape, ReduceSum's axes). */
  data: ArrayLike<number>;
  int64?: boolean;
}

export interface GraphSpec {
  inputs: [string, number[]][];
  outputs: [string, number[]][];
  nodes: GraphNode[];
  initializers?: Initializer[];
}

const A = onnx.AttributeProto.AttributeType;

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  if (typeof v === 'object')
    return 'f' in v ? { name, type: A.FLOAT, f: v.f } : { name, type: A.FLOATS, floats: v.floats };
  return { name, type: A.INT, i: v };
}

function valueInfo([name, dims]: [string, number[]]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
    },
  };
}

/** Serialises the graph as a ModelProto (IR version 8, opset 17, plus com.microsoft when a node uses it). */
export function onnxModel(g: GraphSpec): Uint8Array {
  const domains = new Set(g.nodes.map((n) => n.domain).filter((d): d is string => !!d));
  const model: onnx.IModelProto = {
    irVersion: 8,
    producerName: 'webgrad-bench',
    opsetImport: [{ domain: '', version: OPSET }, ...[...domains].map((domain) => ({ domain, version: 1 }))],
    graph: {
      name: 'bench',
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      node: g.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (g.initializers ?? []).map((t) =>
        t.int64
          ? { name: t.name, dims: t.dims, dataType: onnx.TensorProto.DataType.INT64, int64Data: Array.from(t.data) }
          : { name: t.name, dims: t.dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(t.data) },
      ),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
